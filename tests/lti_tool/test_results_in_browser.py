"""The results page in Debian's Chromium at 1280 px and at 375 px (a phone), in Swedish and
English: axe-core finds nothing, the page never scrolls sideways, the level column stays in
view, and the chart that fits the screen is the one shown, its names large enough to read.

The person has taken the short instrument twice at an activity naming a role profile, so
the page shows everything it can: the previous result, the role's targets and the gaps.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lti import claims as c
from storage import RoleProfile
from tests.support import staff
from tests.support.accessibility import assert_accessible
from tests.support.assessing import answer_all, start, submit

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
PAGE_WIDTHS = """() => ({scrollWidth: document.documentElement.scrollWidth,
                         clientWidth: document.documentElement.clientWidth})"""
# The rendered size of the shown chart's spoke names: font size × how much the SVG is scaled.
LABEL_PIXELS = """svg => {
    const box = svg.getBoundingClientRect();
    const viewBox = svg.viewBox.baseVal;
    const font = parseFloat(svg.querySelector('.radar-axis-labels').getAttribute('font-size'));
    return font * box.width / viewBox.width;
}"""


@pytest.fixture
def results_url(db, platform, browser, tool_url):
    """A retaken short instrument (levels 1, then 3) with a role's targets: the page's URL,
    and the person's cookies for a browser tab."""
    org = staff.organisation(db, "test-org")
    db.add(
        RoleProfile(
            organisation_id=org.id,
            framework_key="digcomp-2.2",
            key="usk",
            name={"sv": "Undersköterska"},
            targets={"1.1": 4, "2.1": 3, "4.2": 5},
        )
    )
    db.commit()
    claims = staff.person_claims(
        "21",
        "Anna Andersson",
        "anna@example.invalid",
        **{c.CUSTOM: {"instrument": "digcomp-2.2-short", "role_profile": "usk"}},
    )
    platform.launch(browser, **claims)
    for option in ("with_help", "on_my_own"):
        page = submit(
            browser, answer_all(browser, start(browser, tool_url), lambda _, chosen=option: chosen)
        )
    assert "/results" in page.url
    cookies = [{"name": ck.name, "value": ck.value, "url": tool_url} for ck in browser.cookies]
    return page.url, cookies


def open_results(page, results_url, lang: str, viewport: dict):
    url, cookies = results_url
    page.context.add_cookies(cookies)
    page.set_viewport_size(viewport)
    page.goto(f"{url}?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)


def shown_chart(page):
    return page.locator('figure.chart svg[role="img"] >> visible=true')


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_results_page_passes_axe_on_a_computer_and_a_phone(page, results_url, lang):
    for viewport in (DESKTOP, PHONE):
        open_results(page, results_url, lang, viewport)
        expect(page.get_by_test_id("next-step")).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_on_a_phone_the_results_do_not_scroll_sideways_and_show_the_level_column(
    page, results_url, lang
):
    open_results(page, results_url, lang, PHONE)

    widths = page.evaluate(PAGE_WIDTHS)
    assert widths["scrollWidth"] <= widths["clientWidth"] == 375, widths
    table = page.get_by_test_id("results-table")
    header = table.locator("thead th").nth(1)
    expect(header).to_have_text("Nivå" if lang == "sv" else "Level")
    for cell in (header, table.locator("td[data-level]").first, table.locator("td").last):
        expect(cell).to_be_visible()
        right = cell.evaluate("el => el.getBoundingClientRect().right")
        assert right <= widths["clientWidth"], (cell, right)
    # The phone's own chart is the one shown, its names at a readable size.
    chart = shown_chart(page)
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute(
        "aria-labelledby", "competence-radar-phone-title competence-radar-phone-desc"
    )
    assert chart.evaluate(LABEL_PIXELS) >= 11.5


def test_on_a_computer_the_wide_chart_is_shown_with_names_at_full_size(page, results_url):
    open_results(page, results_url, "sv", DESKTOP)

    chart = shown_chart(page)
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute(
        "aria-labelledby", "competence-radar-wide-title competence-radar-wide-desc"
    )
    assert chart.evaluate(LABEL_PIXELS) >= 13.5
    expect(chart.locator(".radar-axis-labels")).to_contain_text("Söka information")
    expect(
        page.get_by_test_id("results-table").locator('tr[data-competence="4.2"]')
    ).to_contain_text("Mål: 5 – Avancerad")
