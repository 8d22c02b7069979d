"""The dialogue in one pass over plain HTTP (no JavaScript): suggestions before saving, a role
profile filling the targets, the organisation's role profile page, and the plan PDF as
the yearly dialogue's paper (draft marking, current level beside target, next follow-up).

Maja manages Anna (undersköterska, shares her result) and Bo (no role), as in test_plans.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from storage import RoleProfile
from storage.audit import ROLE_PROFILE, AuditEvent
from storage.plans import PlanVersion
from tests.lti_tool.test_plans import EMPLOYEE, MANAGER, confirm, launch
from tests.lti_tool.test_team_overview import assess
from tests.support import staff
from tests.support.assessing import csrf
from tests.support.browsing import text_of
from tests.support.pdf_checks import read_tagged_pdf

ADMIN = staff.person_claims("30", "Ada Admin", "ada@example.invalid", admin=True)


@pytest.fixture
def team(db, platform):
    people = staff.maja_and_her_team(db)
    org = people["org"]
    profile = staff.role_profile(db, org, "usk", "Undersköterska", {"1.1": 4, "2.1": 3})
    course = staff.activity(db, org, "Sök smart på nätet", [("1.1", 0, 4)])
    return {**people, "profile": profile, "course": course}


def fieldset(page: requests.Response, competence: str) -> str:
    return re.search(rf'<fieldset data-testid="options-{competence}"[^>]*>', page.text).group(0)


def selected(page: requests.Response) -> dict[str, str]:
    """The target chosen in each competence's select."""
    found = {}
    for competence, options in re.findall(
        r'<select name="target-([\d.]+)".*?>(.*?)</select>', page.text, re.S
    ):
        chosen = re.search(r'<option value="(\d*)" selected>', options)
        if chosen:
            found[competence] = chosen.group(1)
    return found


def test_suggestions_appear_before_saving_without_javascript(team, platform, browser, tool_url, db):
    launch(platform, browser, MANAGER)
    bo, course = team["bo"].id, team["course"]

    dialogue = browser.get(f"{tool_url}/plans/{bo}?lang=en")
    # Bo's role has no profile, so no gap yet: the activities wait, hidden, for a target.
    assert "hidden" in fieldset(dialogue, "1.1")
    assert 'data-testid="no-options" id="no-options">' in dialogue.text
    assert "Choose a target above the current level" in text_of(dialogue.text)

    suggested = browser.post(
        f"{tool_url}/plans/{bo}",
        data={"csrf_token": csrf(dialogue.text), "action": "suggest", "target-1.1": "3"},
    )
    assert suggested.status_code == 200
    assert "hidden" not in fieldset(suggested, "1.1")
    assert course.title in text_of(suggested.text)
    assert "Nothing is saved yet" in text_of(suggested.text)
    assert selected(suggested) == {"1.1": "3"}  # the chosen target is kept
    assert db.scalar(select(PlanVersion)) is None  # no version for looking
    odd = browser.post(
        f"{tool_url}/plans/{bo}",
        data={"csrf_token": csrf(dialogue.text), "action": "suggest", "target-1.1": "9" * 4301},
    )
    assert odd.status_code == 200 and selected(odd) == {}

    saved = browser.post(
        f"{tool_url}/plans/{bo}",
        data={
            "csrf_token": csrf(suggested.text),
            "target-1.1": "3",
            "activity": f"1.1:{course.id}",
        },
    )
    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    versions = db.scalars(select(PlanVersion)).all()
    assert len(versions) == 1  # one conversation, one version
    assert versions[0].items[0]["activity_id"] == course.id


def test_role_profile_fills_targets(team, platform, browser, tool_url, db):
    launch(platform, browser, MANAGER)
    bo = team["bo"].id

    filled = browser.get(f"{tool_url}/plans/{bo}?profile=usk&lang=en")
    assert filled.status_code == 200
    assert selected(filled) == {"1.1": "4", "2.1": "3"}
    assert "filled in from the role profile Undersköterska" in text_of(filled.text)
    assert "hidden" not in fieldset(filled, "1.1")  # the gap shows its activities at once
    assert db.scalar(select(PlanVersion)) is None

    # A shipped starting point fills every competence; still editable before saving.
    librarian = browser.get(f"{tool_url}/plans/{bo}?profile=bibliotekarie&lang=en")
    assert len(selected(librarian)) == 21 and selected(librarian)["1.1"] == "6"
    assert "(the tool's starting point)" in text_of(librarian.text)

    browser.post(
        f"{tool_url}/plans/{bo}",
        data={
            "csrf_token": csrf(filled.text),
            "role_profile": "usk",
            "target-1.1": "5",  # changed from the profile's 4
            "target-2.1": "3",
        },
    )
    version = db.scalar(select(PlanVersion))
    assert version.targets == {"1.1": 5, "2.1": 3} and version.role_profile_key == "usk"
    # An unknown profile changes nothing.
    unknown = browser.get(f"{tool_url}/plans/{bo}?profile=nobody&lang=en")
    assert unknown.status_code == 200 and selected(unknown) == {"1.1": "5", "2.1": "3"}


def test_waiting_plan_pdf_is_marked_draft(team, platform, browser, tool_url, db):
    staff.share_with_managers(db, team["org"], "digcomp-2.2-short")
    anna_browser = assess(platform, tool_url, EMPLOYEE)
    launch(platform, browser, MANAGER)
    anna = team["anna"].id
    page = browser.get(f"{tool_url}/plans/{anna}?lang=sv")
    browser.post(
        f"{tool_url}/plans/{anna}",
        data={"csrf_token": csrf(page.text), "target-1.1": "4", "target-2.1": "3"},
    )
    plan_id = db.scalar(select(PlanVersion)).plan_id

    _, draft = read_tagged_pdf(browser.get(f"{tool_url}/plans/{plan_id}/pdf").content)
    assert "Utkast – inte överenskommen" in draft
    assert "Testkommunen" in draft  # the organisation's name
    # Current level beside the target: Anna answered option 2 everywhere (Grundläggande 1).
    assert re.search(r"1\.1 Söka.*?innehåll\s+Grundläggande\s+1\s+4", draft, re.S), draft
    assert "12 månader efter överenskommelsen" in draft  # the follow-up, set on agreement

    confirm(browser, tool_url, anna, 1)
    confirm(anna_browser, tool_url, anna, 1)
    _, agreed = read_tagged_pdf(browser.get(f"{tool_url}/plans/{plan_id}/pdf").content)
    assert "Utkast" not in agreed
    agreed_on = db.scalar(select(PlanVersion)).manager_agreed_at
    assert re.search(rf"Nästa uppföljning\s+Senast \d+ \w+\.? {agreed_on.year + 1}", agreed), agreed


def test_an_organisation_admin_copies_and_changes_a_role_profile(
    team, platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)
    swedish = browser.get(f"{tool_url}/organisation/role-profiles/?lang=sv")
    assert "Socialsekreterare" in text_of(swedish.text) and "Bibliotekarie" in swedish.text
    listing = browser.get(f"{tool_url}/organisation/role-profiles/?lang=en")
    assert listing.status_code == 200
    assert "Social worker" in text_of(listing.text) and "Librarian" in listing.text

    copied = browser.post(
        f"{tool_url}/organisation/role-profiles/copy",
        data={"csrf_token": csrf(listing.text), "key": "underskoterska"},
    )
    assert copied.status_code == 200 and "is copied" in text_of(copied.text)
    profile = db.scalar(select(RoleProfile).where(RoleProfile.key == "underskoterska"))
    assert len(profile.targets) == 21

    refused = browser.post(
        copied.url,
        data={"csrf_token": csrf(copied.text), "name-sv": "Undersköterska", "target-1.1": "12"},
    )
    assert refused.status_code == 400 and "a level from 1 to 8" in text_of(refused.text)

    saved = browser.post(
        copied.url,
        data={
            "csrf_token": csrf(copied.text),
            "name-sv": "Undersköterska hemtjänst",
            "name-en": "Assistant nurse, home care",
            "target-1.1": "4",
            "target-4.2": "5",
        },
    )
    assert saved.status_code == 200 and "Assistant nurse, home care" in text_of(saved.text)
    db.expire_all()
    profile = db.get(RoleProfile, profile.id)
    assert profile.targets == {"1.1": 4, "4.2": 5}
    assert profile.name == {"sv": "Undersköterska hemtjänst", "en": "Assistant nurse, home care"}
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == ROLE_PROFILE)).all()
    assert [e.detail["change"] for e in events] == ["copied", "edited"]
    assert events[1].detail["targets_after"] == {"1.1": 4, "4.2": 5}
    # A starting point that does not exist is a 404, not an empty profile.
    missing = browser.post(
        f"{tool_url}/organisation/role-profiles/copy",
        data={"csrf_token": csrf(saved.text), "key": "astronaut"},
    )
    assert missing.status_code == 404
