"""The question page and the list of all questions in a real browser (Debian's Chromium), in
Swedish and English at 1280 and 375 px: axe-core finds nothing, nothing scrolls sideways, focus
starts on the question, the arrow keys choose, and the list jumps to a question."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible
from tests.support.assessment_in_browser import (
    SHORT,
    assert_reflows,
    expect_question,
    heading,
    launch,
    press,
    tab_to,
)

WIDTHS = {"1280 px": {"width": 1280, "height": 900}, "375 px": {"width": 375, "height": 800}}
ALL_QUESTIONS = {"sv": "Alla frågor", "en": "All questions"}
ARROWS = {"sv": "piltangenterna", "en": "arrow keys"}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("width", WIDTHS)
def test_question_and_overview_pages_are_accessible(devices, tool_url, lang, width):
    page = devices(viewport=WIDTHS[width])
    total = len(SHORT["items"])
    launch(page, tool_url, "digi101", lang)
    page.get_by_test_id("start").click()
    expect_question(page, lang, 1, total)

    # Focus starts on the question; the answers say the arrow keys choose, and they do.
    question = page.locator("#question")
    expect(question).to_be_focused()
    expect(question).to_have_text(SHORT["items"][0]["text"][lang])
    expect(page.get_by_test_id("topic")).to_have_text(SHORT["items"][0]["topic"][lang])
    group = page.locator("fieldset")
    expect(group).to_have_attribute("aria-describedby", "keys-hint")
    expect(page.locator("#keys-hint")).to_contain_text(ARROWS[lang])
    radios = page.locator('input[name="answer"]')
    tab_to(page, radios.first, limit=1)
    press(page, "Space")
    press(page, "ArrowDown")
    expect(radios.nth(1)).to_be_checked()
    assert_accessible(page)
    assert_reflows(page, question, page.get_by_test_id("next"), page.get_by_test_id("overview"))

    # The list of all questions: saved first, then every question with its state in words.
    page.get_by_test_id("overview").click()
    expect(heading(page)).to_have_text(ALL_QUESTIONS[lang])
    nav = page.get_by_role("navigation", name={"sv": "Frågor", "en": "Questions"}[lang])
    expect(nav.get_by_role("link")).to_have_count(total)
    expect(nav.get_by_test_id("question-1")).to_contain_text(
        {"sv": "besvarad", "en": "answered"}[lang]
    )
    expect(nav.get_by_test_id("question-1")).to_have_attribute("aria-current", "step")
    expect(nav.get_by_test_id("question-5")).to_contain_text(
        {"sv": "inte besvarad", "en": "not answered"}[lang]
    )
    assert_accessible(page)
    assert_reflows(page, heading(page), nav.get_by_test_id("question-21"))

    nav.get_by_test_id("question-5").click()
    expect_question(page, lang, 5, total)
    expect(page.locator("#question")).to_be_focused()
