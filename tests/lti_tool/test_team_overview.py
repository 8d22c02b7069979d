"""The manager's team overview over plain HTTP: who needs follow-up, sorting and filtering by
query parameters (no JavaScript), a retake in progress, and results not shared said plainly.

Maja manages Anna (an undersköterska who shares her result) and Bo (organisation made by
hand, tests/support/staff.py, as in test_plans).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select, update

from storage import Attempt
from storage.attempts import AttemptStatus
from tests.lti_tool.test_plans import EMPLOYEE, MANAGER, confirm, launch, save_plan
from tests.support import staff
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import text_of

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
BO_SHARING = staff.person_claims(
    "12",
    "Bo Berg",
    "bo@example.invalid",
    **{
        CUSTOM: {"instrument": "digcomp-2.2-short", "share_with_manager": "yes"},
        RESOURCE_LINK: {"id": "self-assessment", "title": "Självskattning"},
    },
)
BO_PRIVATE = staff.person_claims(
    "12",
    "Bo Berg",
    "bo@example.invalid",
    **{
        CUSTOM: {"instrument": "digcomp-2.2-short"},  # the activity says nothing: not shared
        RESOURCE_LINK: {"id": "private-assessment", "title": "Egen skattning"},
    },
)


@pytest.fixture
def team(db, platform):
    return staff.maja_and_her_team(db)


def assess(platform, tool_url, claims, choose=lambda options: options[1]) -> requests.Session:
    person = requests.Session()
    launch(platform, person, claims)
    submit(person, answer_all(person, start(person, tool_url), choose))
    return person


def order(page: requests.Response) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', page.text)


def row_text(page: requests.Response, number: str) -> str:
    row = re.search(rf'<tr data-employee="{number}".*?</tr>', page.text, re.S)
    return text_of(row.group(0))


def submitted_on(db, person_id: int, day: datetime) -> None:
    db.execute(update(Attempt).where(Attempt.person_id == person_id).values(submitted_at=day))
    db.commit()


def test_team_overview_flags_people_without_a_plan(team, platform, browser, tool_url):
    launch(platform, browser, MANAGER)
    anna = team["anna"].id

    overview = browser.get(f"{tool_url}/team?lang=en")
    assert re.findall(r'data-employee="(E1\d)" data-follow-up="(\w*)"', overview.text) == [
        ("E11", "no_plan"),
        ("E12", "no_plan"),
    ]
    assert "Need follow-up: 2 of 2" in text_of(overview.text)
    assert "Needed – no plan yet" in row_text(overview, "E12")

    save_plan(
        browser, tool_url, anna, {"new-goal-0": "Lär mig Teams", "new-goal-due-0": "2027-01-15"}
    )
    waiting = browser.get(f"{tool_url}/team?lang=en")
    assert "Waits for Anna Andersson to agree" not in row_text(waiting, "E11")
    assert "Saved, waits for both to agree" in row_text(waiting, "E11")
    confirm(browser, tool_url, anna, 1)
    assert "Waits for Anna Andersson to agree" in row_text(
        browser.get(f"{tool_url}/team?lang=en"), "E11"
    )

    anna_browser = requests.Session()
    launch(platform, anna_browser, EMPLOYEE)
    confirm(anna_browser, tool_url, anna, 1)
    agreed = browser.get(f"{tool_url}/team?lang=en")
    assert re.search(r'data-employee="E11" data-follow-up=""', agreed.text)
    assert "Agreed on" in row_text(agreed, "E11") and "0 of 1" in row_text(agreed, "E11")
    assert "Next dialogue by" in row_text(agreed, "E11")
    assert "Need follow-up: 1 of 2" in text_of(agreed.text)

    # The filter, as a form sends it: only Bo needs follow-up now.
    only = browser.get(f"{tool_url}/team?show=follow_up&sort=name&dir=asc&lang=en")
    assert order(only) == ["E12"]
    # /my/plan shows the same overview to the manager, names leading to the dialogue.
    mine = browser.get(f"{tool_url}/my/plan?show=follow_up&lang=en")
    assert order(mine) == ["E12"] and f'href="/plans/{team["bo"].id}"' in mine.text


def test_team_overview_sorts_by_latest_assessment(team, platform, browser, tool_url, db):
    staff.share_with_managers(db, team["org"], "digcomp-2.2-short")
    assess(platform, tool_url, EMPLOYEE)
    assess(platform, tool_url, BO_SHARING, choose=lambda options: options[-1])
    submitted_on(db, _person(db, "E11"), datetime(2026, 5, 4, tzinfo=UTC))
    submitted_on(db, _person(db, "E12"), datetime(2026, 2, 10, tzinfo=UTC))
    launch(platform, browser, MANAGER)

    by_name = browser.get(f"{tool_url}/team?lang=en")
    assert order(by_name) == ["E11", "E12"]
    assert 'aria-sort="ascending" data-testid="column-name"' in by_name.text

    oldest_first = browser.get(f"{tool_url}/team?sort=assessment&dir=asc&lang=en")
    assert order(oldest_first) == ["E12", "E11"]
    assert 'aria-sort="ascending" data-testid="column-assessment"' in oldest_first.text
    newest_first = browser.get(f"{tool_url}/team?sort=assessment&dir=desc&lang=en")
    assert order(newest_first) == ["E11", "E12"]
    assert 'aria-sort="descending" data-testid="column-assessment"' in newest_first.text
    # The header link offers the other direction.
    assert "sort=assessment&amp;dir=asc" in newest_first.text
    assert "Feb 10, 2026" in row_text(newest_first, "E12")
    assert "Level 7 – Highly specialised" in row_text(newest_first, "E12")
    # Nonsense in the address falls back to name order, never an error.
    odd = browser.get(f"{tool_url}/team?sort=salary&dir=sideways&show=everyone")
    assert odd.status_code == 200 and order(odd) == ["E11", "E12"]


def test_unfinished_retake_still_shows_the_latest_result(team, platform, browser, tool_url, db):
    staff.share_with_managers(db, team["org"], "digcomp-2.2-short")
    assess(platform, tool_url, EMPLOYEE)
    submitted = db.scalar(select(Attempt).where(Attempt.status == AttemptStatus.SUBMITTED))
    db.add(
        Attempt(
            person_id=submitted.person_id,
            resource_link_id=submitted.resource_link_id,
            instrument_id=submitted.instrument_id,
            status=AttemptStatus.IN_PROGRESS,
            shared_with_manager=True,
        )
    )
    db.commit()
    launch(platform, browser, MANAGER)

    overview = browser.get(f"{tool_url}/team?lang=en")
    anna_row = row_text(overview, "E11")
    assert "Level 1 – Foundation" in anna_row
    assert "A new assessment is started and not yet submitted." in anna_row
    assert 'data-instrument="digcomp-2.2-short" data-state="in_progress"' in overview.text


def test_team_overview_says_plainly_when_a_result_is_not_shared(
    team, platform, browser, tool_url, db
):
    staff.share_with_managers(db, team["org"], "digcomp-2.2-short")
    assess(platform, tool_url, BO_PRIVATE)
    launch(platform, browser, MANAGER)

    overview = browser.get(f"{tool_url}/team?lang=en")
    assert "Done, but not shared with you" in row_text(overview, "E12")
    assert "Level:" not in row_text(overview, "E12")
    assert "No result yet" in row_text(overview, "E11")
    swedish = browser.get(f"{tool_url}/team?lang=sv")
    assert "Gjord, men inte delad med dig" in row_text(swedish, "E12")


def _person(db, number: str) -> int:
    from storage import Employee

    return db.scalar(select(Employee.person_id).where(Employee.employee_number == number))
