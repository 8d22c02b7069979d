"""The manager's pages in Chromium: the team overview, the dialogue, the manager's part of
"My development plan" and the role profiles pass axe-core in Swedish and English at 1280
and 375 px without sideways scrolling; in the dialogue, activities appear as targets are
chosen and a role profile fills the targets, without a round trip.

People launch from the built-in dev platform: Karin Lund manages Anna Andersson (an
undersköterska who has shared her result) and Bo Berg (no plan, no result).
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from lti_tool.dev_platform.platform import ORGANISATION_SLUG, ensure_registered
from storage.plans import PlanVersion
from tests.lti_tool.test_accessibility import LANGUAGES, heading
from tests.support import staff
from tests.support.accessibility import assert_accessible
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import dev_launch

WIDTHS = (1280, 375)


@pytest.fixture
def dev_team(tool_url, db):
    ensure_registered(db, tool_url)
    db.commit()
    org = staff.organisation(db, ORGANISATION_SLUG)
    karin = staff.employee(db, org, "KARIN1003", "Karin Lund")
    anna = staff.employee(
        db, org, "ANNA1001", "Anna Andersson", manager=karin, role_title="Undersköterska"
    )
    bo = staff.employee(db, org, "BO2001", "Bo Berg", manager=karin)
    profile = staff.role_profile(db, org, "usk", "Undersköterska", {"1.1": 4, "2.1": 3})
    course = staff.activity(db, org, "Sök smart på nätet", [("1.1", 0, 4)])
    staff.activity(db, org, "Teams för nybörjare", [("2.1", 0, 3)])
    staff.share_with_managers(db, org, "digcomp-2.2-short")
    with requests.Session() as learner:
        dev_launch(learner, tool_url, "learner")
        submit(learner, answer_all(learner, start(learner, tool_url), lambda o: o[1]))
    return {
        "org": org,
        "karin": karin,
        "anna": anna,
        "bo": bo,
        "course": course,
        "profile": profile,
    }


def launch(page, tool_url: str, person: str, lang: str = "sv") -> None:
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")


PAGES = {
    "team overview": ("manager", "/team", {"sv": "Din grupp", "en": "Your team"}),
    "team overview, follow-up only": ("manager", "/team?show=follow_up&sort=assessment", None),
    "dialogue": ("manager", "/plans/{anna}", {"sv": "Utvecklingssamtal: Anna Andersson"}),
    "dialogue with a role profile": ("manager", "/plans/{bo}?profile=bibliotekarie", None),
    "my plan with the team": ("manager", "/my/plan", None),
    "role profiles": ("administrator", "/organisation/role-profiles/", None),
    "role profile": ("administrator", "/organisation/role-profiles/{profile}", None),
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_manager_pages_are_accessible_and_fit_a_phone(
    page, tool_url, dev_team, name, lang, tmp_path
):
    person, path, title = PAGES[name]
    launch(page, tool_url, person, lang)
    path = path.format(
        anna=dev_team["anna"].id, bo=dev_team["bo"].id, profile=dev_team["profile"].id
    )
    address = f"{tool_url}{path}{'&' if '?' in path else '?'}lang={lang}"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(address)
        if title and lang in title:
            expect(heading(page)).to_have_text(title[lang])
        expect(page.locator("html")).to_have_attribute("lang", lang)
        page.screenshot(path=str(tmp_path / f"{name}-{lang}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        assert_accessible(page)


def test_team_overview_sorts_with_the_header_links(page, tool_url, dev_team):
    launch(page, tool_url, "manager", "en")
    page.goto(f"{tool_url}/team?lang=en")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_test_id("column-name")).to_have_attribute("aria-sort", "ascending")

    page.get_by_test_id("sort-assessment").click()
    expect(page.get_by_test_id("column-assessment")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).to_have_attribute("data-employee", "ANNA1001")  # Bo has no result: last
    page.get_by_test_id("sort-assessment").click()
    expect(page.get_by_test_id("column-assessment")).to_have_attribute("aria-sort", "descending")

    page.get_by_test_id("show").select_option("follow_up")
    page.get_by_test_id("apply-filter").click()
    expect(page.get_by_test_id("follow-up-count")).to_contain_text("2 of 2")
    expect(rows).to_have_count(2)  # nobody has a plan yet: both need follow-up


def test_suggestions_appear_as_targets_are_chosen_with_javascript(page, tool_url, dev_team, db):
    launch(page, tool_url, "manager", "en")
    address = f"{tool_url}/plans/{dev_team['bo'].id}?lang=en"
    page.goto(address)
    options = page.get_by_test_id("options-1.1")
    expect(options).to_be_hidden()
    expect(page.get_by_test_id("suggest")).to_be_hidden()  # not needed with JavaScript

    page.get_by_test_id("target-1.1").select_option("3")
    expect(options).to_be_visible()
    expect(page.get_by_test_id("no-options")).to_be_hidden()
    expect(page.get_by_label(f"{dev_team['course'].title} (recommended)")).to_be_visible()

    page.get_by_test_id("profile-choice").select_option("usk")
    page.get_by_test_id("use-profile").click()
    expect(page.get_by_test_id("target-1.1")).to_have_value("4")
    expect(page.get_by_test_id("target-2.1")).to_have_value("3")
    expect(page.get_by_test_id("target-4.2")).to_have_value("")
    expect(page.get_by_test_id("options-2.1")).to_be_visible()
    expect(page.locator("#profile-status")).to_contain_text("Undersköterska")
    assert page.url == address  # filled in place, nothing sent
    assert db.scalar(select(PlanVersion)) is None

    page.get_by_test_id("target-1.1").select_option("5")  # still editable
    page.get_by_label(f"{dev_team['course'].title} (recommended)").check()
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved")).to_be_visible()
    db.expire_all()
    version = db.scalar(select(PlanVersion))
    assert version.targets == {"1.1": 5, "2.1": 3} and version.role_profile_key == "usk"
    assert [item["activity_id"] for item in version.items] == [dev_team["course"].id]
