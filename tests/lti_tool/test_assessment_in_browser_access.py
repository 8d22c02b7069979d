"""The assessment for everyone: every kind of page checked with axe-core in both languages,
completed with the keyboard alone, and read at 320 CSS px and at 200 % zoom.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lti import claims as c
from tests.support.accessibility import assert_accessible
from tests.support.assessment_in_browser import (
    FULL,
    NARROW,
    SHORT,
    TEXTS,
    ZOOMED,
    assert_reflows,
    expect_question,
    expect_results,
    expected_result,
    heading,
    launch,
    level_of,
    press,
    save,
    skip_to_content,
    submit,
    tab_to,
    wait_for_path,
)

# --- acceptance 4: every page of the flow passes axe-core, in both languages ----------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_of_the_flow_has_no_accessibility_violations(devices, tool_url, lang):
    """Each kind of page once per language. Two states only a whole walk reaches, the
    overview of an attempt in progress and the review with every question answered (and
    results with every competence assessed), are checked in the walks above, one in each
    language; this test keeps its page loads few for the suite's sake."""
    page = devices()
    total = len(FULL["items"])
    launch(page, tool_url, "digi201", lang)
    expect(page.get_by_test_id("start")).to_have_text(TEXTS[lang]["start"])
    assert_accessible(page)  # the overview before starting
    page.get_by_test_id("start").click()
    expect_question(page, lang, 1, total)
    assert_accessible(page)  # a self-rating, the first question (no Previous button)
    save(page, lang, "with_help", 1, total)
    save(page, lang, "with_help", 2, total)
    expect(page.get_by_test_id("back")).to_be_visible()
    expect(page.locator('input[name="answer"]')).to_have_count(len(FULL["items"][2]["options"]))
    assert_accessible(page)  # a knowledge question, with Previous
    save(page, lang, None, 3, total)  # straight on to the review, as if at the last question
    page.goto(page.url.replace("/items/4", "/review"))
    expect(heading(page)).to_have_text(TEXTS[lang]["unanswered"])
    expect(page.get_by_test_id("unanswered").locator("a")).to_have_count(total - 2)
    assert_accessible(page)  # the confirmation listing the unanswered questions
    page.get_by_test_id("unanswered").locator("a").first.click()
    expect_question(page, lang, 3, total)
    page.go_back()
    submit(page, lang, anyway=True)
    levels = {"1.1": level_of((1 + 2) / 2)}  # "with_help": levels 1 and 2
    expect(page.locator('tr[data-competence="1.1"] [data-level]')).to_have_attribute(
        "data-level", str(levels["1.1"])
    )
    expect(page.locator('tr[data-competence="1.2"] [data-level]')).to_have_attribute(
        "data-level", ""
    )
    assert_accessible(page)  # the results, most competences not assessed
    page.get_by_role("link", name=TEXTS[lang]["back to start"]).click()
    page.wait_for_url(f"{tool_url}/")
    results_list = page.get_by_role("region", name=TEXTS[lang]["your results"])
    expect(results_list.get_by_role("link")).to_have_count(1)
    assert_accessible(page)  # the overview with "Your results"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_page_for_no_more_attempts_has_no_accessibility_violations(
    page, tool_url, platform, browser, lang
):
    """A link allowing one attempt; the person submits in one tab, then presses Start in
    another tab still showing the overview from before: 409."""
    platform.launch(
        browser,
        **{
            c.CUSTOM: {"instrument": "digcomp-2.2-short", "attempts": "1"},
            c.LAUNCH_PRESENTATION: {"locale": lang},
        },
    )
    page.context.add_cookies(
        [{"name": ck.name, "value": ck.value, "url": tool_url} for ck in browser.cookies]
    )
    page.goto(f"{tool_url}/")
    expect(page.get_by_test_id("start")).to_be_visible()

    other_tab = page.context.new_page()
    other_tab.goto(f"{tool_url}/")
    other_tab.get_by_test_id("start").click()
    expect_question(other_tab, lang, 1, len(SHORT["items"]))
    save(other_tab, lang, "on_my_own", 1, len(SHORT["items"]))  # one assessed: it counts
    other_tab.goto(other_tab.url.replace("/items/2", "/review"))
    submit(other_tab, lang, anyway=True)
    other_tab.close()

    page.get_by_test_id("start").click()
    expect(heading(page)).to_have_text(TEXTS[lang]["error 409"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def test_a_keyboard_user_completes_the_short_instrument(page, tool_url):
    total = len(SHORT["items"])
    page.goto(f"{tool_url}/dev-platform/")
    course = page.locator("#course")
    tab_to(page, course)
    press(page, "ArrowDown")  # a closed select changes with the arrow keys
    expect(course).to_have_value("digi201")
    press(page, "ArrowUp")
    expect(course).to_have_value("digi101")
    tab_to(page, page.locator("#locale"))
    expect(page.locator("#locale")).to_have_value("sv")
    tab_to(page, page.get_by_test_id("launch-learner"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{tool_url}/")
    expect(heading(page)).to_have_text(TEXTS["sv"]["hello"])

    skip_to_content(page)
    tab_to(page, page.get_by_test_id("start"))
    page.keyboard.press("Enter")
    for number in range(1, total + 1):
        expect_question(page, "sv", number, total)
        radios = page.locator('input[name="answer"]')
        if number == 1:
            skip_to_content(page)
        tab_to(page, radios.first, limit=4)  # the group is one stop; nothing chosen yet
        press(page, "Space")
        expect(radios.first).to_be_checked()
        press(page, "ArrowDown")
        press(page, "ArrowDown")
        on_my_own = page.locator('input[name="answer"][value="on_my_own"]')
        expect(on_my_own).to_be_checked()
        expect(on_my_own).to_be_focused()
        next_button = page.get_by_test_id("next")
        if number > 1:  # past Save to Previous question, and back with Shift+Tab
            tab_to(page, page.get_by_test_id("back"), limit=2)
            tab_to(page, next_button, key="Shift+Tab", limit=1)
        else:
            tab_to(page, next_button, limit=1)
        page.keyboard.press("Enter")

    wait_for_path(page, "/review")
    expect(page.get_by_test_id("answered")).to_have_text(
        TEXTS["sv"]["answered"].format(answered=total, total=total)
    )
    tab_to(page, page.get_by_test_id("submit"))
    page.keyboard.press("Enter")
    wait_for_path(page, "/results")
    levels, overall = expected_result(SHORT, {item["id"]: "on_my_own" for item in SHORT["items"]})
    expect_results(page, "sv", levels, overall)


def test_narrow_screen_and_200_percent_zoom_need_no_sideways_scrolling(devices, tool_url):
    page = devices(viewport=NARROW, device_scale_factor=2)
    launch(page, tool_url, "digi201", "sv")
    assert_reflows(page, heading(page), page.get_by_test_id("start"))
    page.get_by_test_id("start").click()
    total = len(FULL["items"])
    save(page, "sv", "on_my_own", 1, total)
    save(page, "sv", "on_my_own", 2, total)  # the third question is a knowledge question
    for size in (NARROW, ZOOMED):
        page.set_viewport_size(size)
        assert_reflows(
            page,
            page.locator(".question-text"),
            page.locator(".choice").last,
            page.get_by_test_id("next"),
            page.get_by_test_id("back"),
        )
    page.set_viewport_size(NARROW)
    page.goto(page.url.replace("/items/3", "/review"))
    assert_reflows(
        page,
        heading(page),
        page.get_by_test_id("answer-them"),
        page.get_by_test_id("submit-anyway"),
        page.get_by_test_id("unanswered").locator("li").first,
    )
    submit(page, "sv", anyway=True)
    for size in (NARROW, ZOOMED):
        page.set_viewport_size(size)
        assert_reflows(
            page,
            heading(page),
            page.get_by_test_id("overall"),
            page.locator('figure.chart svg[role="img"]'),
            page.locator(".table-wrap"),
        )
    page.set_viewport_size(NARROW)
    assert_accessible(page)
    # On a narrow screen the table's rows stack, each cell labelled by its column: nothing
    # is left to scroll to, so no level is hidden off to the side.
    table = page.locator(".table-wrap")
    assert not table.evaluate("el => el.scrollWidth > el.clientWidth")
    expect(table.locator("td[data-level]").first).to_have_attribute("data-label", "Nivå")
    level = table.locator("td[data-level]").first.bounding_box()
    assert level["x"] >= 0 and level["x"] + level["width"] <= NARROW["width"]
