"""The assessment in a real browser (Debian's Chromium): launched from the dev platform,
answered, left and resumed on another device, submitted, and read, in Swedish and English;
unanswered questions asked about before submitting. Every kind of page checked with axe-core,
with the keyboard alone and at 320 CSS px: tests/lti_tool/test_assessment_in_browser_access.py.
The expected levels come from tests/support/assessment_in_browser.py, not the scoring code.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.assessment_in_browser import (
    FULL,
    SHORT,
    TEXTS,
    answer_until,
    assert_reflows,
    expect_question,
    expect_results,
    expected_result,
    full_answers,
    heading,
    launch,
    save,
    skip_to_content,
    submit,
    tab_to,
)

# --- acceptance 1: short in Swedish, full in English, left and resumed on another device ----


def test_short_instrument_in_swedish_left_and_resumed_on_another_device(devices, tool_url):
    answers = {item["id"]: "on_my_own" for item in SHORT["items"]}
    total = len(SHORT["items"])
    phone = devices()
    launch(phone, tool_url, "digi101", "sv")
    phone.get_by_test_id("start").click()
    expect_question(phone, "sv", 1, total)
    answer_until(phone, "sv", SHORT, answers, 1, 8)
    phone.context.close()  # leaves in the middle, on question 9

    desktop = devices()
    launch(desktop, tool_url, "digi101", "sv")
    expect(
        desktop.get_by_text(TEXTS["sv"]["answered"].format(answered=8, total=total))
    ).to_be_visible()
    expect(desktop.get_by_test_id("continue")).to_have_text(TEXTS["sv"]["continue"])
    assert_accessible(desktop)  # the overview of an attempt in progress
    desktop.get_by_test_id("continue").click()
    expect_question(desktop, "sv", 9, total)
    answer_until(desktop, "sv", SHORT, answers, 9, total)
    expect(desktop.get_by_test_id("answered")).to_have_text(
        TEXTS["sv"]["answered"].format(answered=total, total=total)
    )
    assert_accessible(desktop)  # the review with every question answered
    submit(desktop, "sv")

    levels, overall = expected_result(SHORT, answers)
    assert set(levels.values()) == {3} and overall == 3  # the oracle agrees with the brief
    expect_results(desktop, "sv", levels, overall)
    expect(desktop.get_by_test_id("overall")).to_have_text("Din nivå totalt: Nivå 3 – Medel")
    assert_accessible(desktop)  # the results with every competence assessed


def test_full_instrument_in_english_left_and_resumed_on_another_device(devices, tool_url):
    answers = full_answers()
    total = len(FULL["items"])
    skipped = 29  # a knowledge question passed over before leaving
    assert FULL["items"][skipped - 1]["kind"] == "knowledge"
    laptop = devices()
    launch(laptop, tool_url, "digi201", "en")
    expect(laptop.get_by_test_id("start")).to_have_text(TEXTS["en"]["start"])
    laptop.get_by_test_id("start").click()
    expect_question(laptop, "en", 1, total)
    answer_until(laptop, "en", FULL, answers, 1, 30, skip={skipped})
    laptop.context.close()  # leaves on question 31

    tablet = devices()
    launch(tablet, tool_url, "digi201", "en")
    expect(
        tablet.get_by_text(TEXTS["en"]["answered"].format(answered=29, total=total))
    ).to_be_visible()
    expect(tablet.get_by_test_id("continue")).to_have_text(TEXTS["en"]["continue"])
    assert_accessible(tablet)  # the overview of an attempt in progress
    tablet.get_by_test_id("continue").click()
    expect_question(tablet, "en", 31, total)  # where the person stopped, not the skipped one
    # The list of all questions leads back to the one passed over.
    tablet.get_by_test_id("overview").click()
    tablet.get_by_test_id(f"question-{skipped}").click()
    expect_question(tablet, "en", skipped, total)
    expect(tablet.locator('input[name="answer"]:checked')).to_have_count(0)
    item = FULL["items"][skipped - 1]
    dont_know = next(o for o in item["options"] if o.get("dont_know"))
    expect(tablet.get_by_label(dont_know["text"]["en"])).to_have_value(dont_know["id"])
    save(tablet, "en", answers[item["id"]], skipped, total)
    for number in range(skipped + 1, 31):  # answered on the laptop: shown as saved
        chosen = answers[FULL["items"][number - 1]["id"]]
        expect(tablet.locator('input[name="answer"]:checked')).to_have_value(chosen)
        save(tablet, "en", None, number, total)
    answer_until(tablet, "en", FULL, answers, 31, total)
    expect(tablet.get_by_test_id("answered")).to_have_text(
        TEXTS["en"]["answered"].format(answered=total, total=total)
    )
    assert_accessible(tablet)  # the review with every question answered
    submit(tablet, "en")

    levels, overall = expected_result(FULL, answers)
    assert set(levels.values()) == {5, 6}  # right and "I don't know": 5.5 -> 6; wrong: 4.5 -> 5
    expect_results(tablet, "en", levels, overall)
    assert_accessible(tablet)  # the results with every competence assessed


# --- unanswered questions: asked before submitting, at 1280 and 375 px --------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_unanswered_questions_are_listed_before_submitting_at_1280_and_375_px(
    devices, tool_url, lang
):
    """The page that asks before an incomplete submission: the unanswered questions each
    link back, "Answer them" is the first action (and a keyboard user's first stop in the
    page's content), "Submit anyway" the second; axe finds nothing on a wide or a phone
    screen, and nothing scrolls sideways on the phone."""
    page = devices(viewport={"width": 1280, "height": 900})
    total = len(SHORT["items"])
    launch(page, tool_url, "digi101", lang)
    page.get_by_test_id("start").click()
    answer_until(page, lang, SHORT, {"1.1-s": "on_my_own"}, 1, total, skip=range(2, total + 1))
    # Save on the last question goes to the review: here, the page that asks.
    expect(heading(page)).to_have_text(TEXTS[lang]["unanswered"])
    listed = page.get_by_test_id("unanswered").locator("a")
    expect(listed).to_have_count(total - 1)
    expect(listed.first).to_contain_text(SHORT["items"][1]["text"][lang])
    answer_them = page.get_by_test_id("answer-them")
    anyway = page.get_by_test_id("submit-anyway")
    assert answer_them.bounding_box()["x"] < anyway.bounding_box()["x"]  # first in line
    assert_accessible(page)
    skip_to_content(page)  # from the top of the main content, a keyboard user meets
    tab_to(page, answer_them, limit=1)  # "Answer them" first,
    tab_to(page, anyway, limit=1)  # then "Submit anyway"

    page.set_viewport_size({"width": 375, "height": 800})
    assert_reflows(page, heading(page), answer_them, anyway, listed.first)
    assert_accessible(page)

    answer_them.click()
    expect_question(page, lang, 2, total)
    page.go_back()
    submit(page, lang, anyway=True)
    expect(page.get_by_test_id("not-assessed")).to_be_visible()
