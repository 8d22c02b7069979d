"""The programme follow-up pages pass axe-core in Swedish and English, with real data in them:
the seeded organisation under the dev platform, launched as its administrator (Maria, a
programme lead by her Moodle role) or as the manager (Karin, team leader 3)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lti_tool.dev_platform.programme_seed import seed_programme
from storage import PlatformRegistration
from tests.support.accessibility import assert_accessible

LANGUAGES = {"sv": "", "en": "?lang=en"}
PAGES = {
    "programme": ("administrator", "/programme?period=2026&split=gender", "table-indicators"),
    "programme by unit, a quarter": (
        "administrator",
        "/programme?period=2026-Q1&split=unit",
        "table-over-time",
    ),
    "maturity": ("administrator", "/programme/maturity?period=2026", "table-maturity-2026"),
    "team overview": ("manager", "/team/overview", "table-team-digcomp-2.2-short"),
}
HEADINGS = {
    "programme": {"sv": "Uppföljning av programmet", "en": "Programme follow-up"},
    "programme by unit, a quarter": {
        "sv": "Uppföljning av programmet",
        "en": "Programme follow-up",
    },
    "maturity": {"sv": "Digital mognad", "en": "Digital maturity"},
    "team overview": {"sv": "Dina medarbetares resultat", "en": "Your team's results"},
}


def launch_and_seed(page, tool_url, db, person: str, lang: str) -> None:
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")
    registration = db.scalar(
        select(PlatformRegistration).where(
            PlatformRegistration.issuer == f"{tool_url}/dev-platform"
        )
    )
    seed_programme(db, registration.organisation_id, registration.issuer)
    db.commit()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_programme_pages_have_no_accessibility_violations(page, tool_url, db, name, lang):
    person, path, table = PAGES[name]
    launch_and_seed(page, tool_url, db, person, lang)
    separator = "&" if "?" in path else "?"
    page.goto(f"{tool_url}{path}{separator}lang={lang}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[name][lang])
    expect(page.get_by_test_id(table)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
