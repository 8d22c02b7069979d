"""The development dialogue over plain HTTP: who may open it, versions, agreement, comments,
the employee's own view, items ticked off (with their xAPI statement), and the PDF.

The organisation is made by hand (tests/support/staff.py): a manager, two people in
their team and a colleague outside it; launches link people to employees by e-mail.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from storage.plans import PlanItemCompletion, PlanVersion
from storage.statements import XapiStatement
from tests.support import staff
from tests.support.assessing import answer_all, csrf, start, submit
from tests.support.browsing import text_of
from tests.support.pdf_checks import read_tagged_pdf
from tests.xapi.support import undocumented, validate

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
MANAGER = staff.person_claims("10", "Maja Chef", "maja@example.invalid")
EMPLOYEE = staff.person_claims(
    "11",
    "Anna Andersson",
    "anna@example.invalid",
    **{
        CUSTOM: {"instrument": "digcomp-2.2-short", "share_with_manager": "yes"},
        # An activity of its own: the manager's launches (link "1", no custom parameters)
        # would otherwise make the employee's activity say no (storage.result_sharing).
        RESOURCE_LINK: {"id": "self-assessment", "title": "Självskattning"},
    },
)
TEAMMATE = staff.person_claims("12", "Bo Berg", "bo@example.invalid")
COLLEAGUE = staff.person_claims("13", "Cilla Colleague", "cilla@example.invalid")


@pytest.fixture
def team(db, platform):
    people = staff.maja_and_her_team(db)
    org = people["org"]
    cilla = staff.employee(db, org, "E13", "Cilla Colleague", email="cilla@example.invalid")
    staff.role_profile(db, org, "usk", "Undersköterska", {"1.1": 4, "2.1": 3})
    return {**people, "cilla": cilla}


def launch(platform, browser, claims):
    response = platform.launch(browser, **claims)
    assert response.status_code == 200, response.text
    return response


def save_plan(browser, tool_url, employee_id, data):
    page = browser.get(f"{tool_url}/plans/{employee_id}")
    assert page.status_code == 200, page.text
    return browser.post(
        f"{tool_url}/plans/{employee_id}", data={"csrf_token": csrf(page.text), **data}
    )


def confirm(browser, tool_url, employee_id, number):
    page = browser.get(f"{tool_url}/plans/{employee_id}")
    return browser.post(
        f"{tool_url}/plans/{employee_id}/versions/{number}/confirm",
        data={"csrf_token": csrf(page.text)},
    )


def test_manager_and_employee_agree_a_plan_with_versions_comments_and_a_pdf(
    team, platform, browser, other_browser, tool_url, db
):
    course = staff.activity(db, team["org"], "Säker inloggning", [("1.1", 1, 4)])
    staff.share_with_managers(db, team["org"], "digcomp-2.2-short")
    launch(platform, other_browser, EMPLOYEE)
    submit(other_browser, answer_all(other_browser, start(other_browser, tool_url), lambda o: o[1]))
    launch(platform, browser, MANAGER)
    anna = team["anna"].id

    dialogue = browser.get(f"{tool_url}/plans/{anna}?lang=en")
    assert dialogue.status_code == 200
    text = text_of(dialogue.text)
    assert "Development dialogue: Anna Andersson" in text
    assert "Undersköterska" in text and "submitted on" in text  # the shared result is shown
    saved = save_plan(
        browser,
        tool_url,
        anna,
        {
            "target-1.1": "4",
            "target-2.1": "3",
            "activity": f"1.1:{course.id}",
            "new-goal-0": "Boka ett Teams-möte själv",
            "new-goal-due-0": "2027-03-01",
        },
    )
    assert saved.status_code == 200 and 'data-testid="saved"' in saved.text
    first = db.scalar(select(PlanVersion))
    assert first.targets == {"1.1": 4, "2.1": 3}
    assert [i["key"] for i in first.items] == [f"a:{course.id}", "g:1"]

    assert confirm(browser, tool_url, anna, 1).status_code == 200
    # A change makes a second version; the first (confirmed by the manager only) is kept.
    save_plan(
        browser,
        tool_url,
        anna,
        {
            "target-1.1": "5",
            "goal-key": "g:1",
            "goal-g:1": "Boka ett Teams-möte själv",
            "goal-due-g:1": "2027-03-01",
        },
    )
    outdated = confirm(other_browser, tool_url, anna, 1)
    assert outdated.status_code == 409 and "newer version of the plan" in outdated.text
    confirm(browser, tool_url, anna, 2)
    mine = other_browser.get(f"{tool_url}/my/plan?lang=en")
    assert 'data-testid="waiting"' in mine.text and "Version 2 waits for confirmation" in text_of(
        mine.text
    )
    assert (
        other_browser.post(
            f"{tool_url}/plans/{anna}/versions/2/confirm",
            data={"csrf_token": csrf(mine.text), "next": "my"},
        ).status_code
        == 200
    )
    page = other_browser.get(f"{tool_url}/plans/{anna}")
    other_browser.post(
        f"{tool_url}/plans/{anna}/comments",
        data={"csrf_token": csrf(page.text), "comment": "Jag vill börja med Teams."},
    )

    db.expire_all()
    versions = db.scalars(select(PlanVersion).order_by(PlanVersion.number)).all()
    assert [(v.number, v.agreed) for v in versions] == [(1, False), (2, True)]
    dialogue = text_of(browser.get(f"{tool_url}/plans/{anna}?lang=en").text)
    assert "Version 2 of the plan – agreed" in dialogue
    # The next yearly dialogue: a year after the agreement, as the PDF and the overview say.
    agreed = max(versions[1].employee_agreed_at, versions[1].manager_agreed_at)
    next_year = agreed.astimezone(ZoneInfo("Europe/Stockholm")).year + 1
    assert re.search(rf"Next dialogue by \w+ \d+, {next_year}", dialogue), dialogue
    assert "Anna Andersson (employee) agreed on" in dialogue
    assert "Maja Chef (manager) agreed on" in dialogue
    assert "Anna Andersson" in dialogue and "Jag vill börja med Teams." in dialogue
    mine = text_of(other_browser.get(f"{tool_url}/my/plan?lang=en").text)
    assert "Agreed plan (version 2" in mine and "Boka ett Teams-möte själv" in mine

    pdf = browser.get(f"{tool_url}/plans/{versions[0].plan_id}/pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    _, extracted = read_tagged_pdf(pdf.content)  # a screen reader can read it (PDF/UA)
    assert "Development plan" in extracted and "Anna Andersson" in extracted
    assert "Maja Chef" in extracted and "Boka ett Teams-möte själv" in extracted
    # The agreed target of version 2, beside Anna's current level (shared with Maja).
    assert re.search(r"1\.1 Browsing.*?content\s+Foundation\s+1\s+5", extracted, re.S)
    # The paper is in the language of the person who downloads it: Maja reads Swedish now,
    # Anna (who launched in English) still gets English.
    browser.get(f"{tool_url}/plans/{anna}?lang=sv")
    _, swedish = read_tagged_pdf(browser.get(f"{tool_url}/plans/{versions[0].plan_id}/pdf").content)
    assert "Utvecklingsplan" in swedish and "Målnivå per kompetens" in swedish
    _, english = read_tagged_pdf(
        other_browser.get(f"{tool_url}/plans/{versions[0].plan_id}/pdf").content
    )
    assert "Development plan" in english


def test_the_employee_ticks_off_an_item_once_and_it_becomes_a_statement(
    team, platform, browser, other_browser, tool_url, db
):
    launch(platform, browser, MANAGER)
    launch(platform, other_browser, EMPLOYEE)
    anna = team["anna"].id
    save_plan(
        browser, tool_url, anna, {"new-goal-0": "Lär mig OneDrive", "new-goal-due-0": "2027-01-15"}
    )
    confirm(browser, tool_url, anna, 1)
    confirm(other_browser, tool_url, anna, 1)
    mine = other_browser.get(f"{tool_url}/my/plan")

    for _ in range(2):  # a second tick (another tab) changes nothing
        done = other_browser.post(
            f"{tool_url}/my/plan/done", data={"csrf_token": csrf(mine.text), "item_key": "g:1"}
        )
        assert done.status_code == 200

    assert 'data-testid="done"' in done.text
    assert len(db.scalars(select(PlanItemCompletion)).all()) == 1
    statements = [row.statement for row in db.scalars(select(XapiStatement))]
    completed = [s for s in statements if "plan-item" in s["object"]["id"]]
    assert len(completed) == 1
    statement = completed[0]
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    validate(statement)
    assert undocumented(statement, tool_url) == {}
    unknown = other_browser.post(
        f"{tool_url}/my/plan/done", data={"csrf_token": csrf(mine.text), "item_key": "g:9"}
    )
    assert unknown.status_code == 404


def test_a_goal_without_a_date_and_a_bad_target_are_refused_and_nothing_is_saved(
    team, platform, browser, tool_url, db
):
    launch(platform, browser, MANAGER)
    refused = save_plan(
        browser,
        tool_url,
        team["anna"].id,
        {"target-1.1": "99", "new-goal-0": "Utan datum", "new-goal-due-0": ""},
    )
    assert refused.status_code == 400
    text = text_of(refused.text)
    assert "Utan datum" in text and "a level from 0 to 8" in text
    assert db.scalar(select(PlanVersion)) is None


@pytest.mark.parametrize(
    "who, target, status",
    [
        ("employee", "anna", 200),
        ("manager", "anna", 200),
        ("manager", "bo", 200),
        ("employee", "bo", 404),  # a teammate's plan
        ("colleague", "anna", 404),  # outside the team
        ("employee", "maja", 404),  # one's own manager's plan
    ],
)
def test_only_the_employee_and_their_manager_open_the_dialogue(
    team, platform, browser, tool_url, who, target, status
):
    claims = {"employee": EMPLOYEE, "manager": MANAGER, "colleague": COLLEAGUE}[who]
    launch(platform, browser, claims)

    assert browser.get(f"{tool_url}/plans/{team[target].id}").status_code == status


def test_people_of_another_organisation_get_404_and_anonymous_401(
    team, platform, platform_b, browser, other_browser, tool_url, db
):
    launch(platform, browser, MANAGER)
    save_plan(browser, tool_url, team["anna"].id, {"target-1.1": "3"})
    plan_id = db.scalar(select(PlanVersion.plan_id))
    org_b = staff.organisation(db, "kommun-b")
    outsider = staff.employee(db, org_b, "B1", "Berit B", email="berit@example.invalid")
    staff.employee(db, org_b, "B2", "Bert B", email="bert@example.invalid", manager=outsider)
    launch(platform_b, other_browser, staff.person_claims("20", "Berit B", "berit@example.invalid"))

    for path in (f"/plans/{team['anna'].id}", f"/plans/{plan_id}/pdf"):
        assert other_browser.get(tool_url + path).status_code == 404
        assert requests.get(tool_url + path).status_code == 401
    page = other_browser.get(f"{tool_url}/plans/{outsider.id}")  # her own dialogue
    posted = other_browser.post(
        f"{tool_url}/plans/{team['anna'].id}/comments",
        data={"csrf_token": csrf(page.text), "comment": "hej"},
    )
    assert posted.status_code == 404
    colleague_pdf = browser.get(f"{tool_url}/plans/{plan_id}/pdf")
    assert colleague_pdf.status_code == 200  # the manager may


def test_a_colleague_can_neither_confirm_comment_nor_print_and_the_plan_stays_unchanged(
    team, platform, browser, other_browser, tool_url, db
):
    launch(platform, browser, MANAGER)
    save_plan(browser, tool_url, team["anna"].id, {"target-1.1": "3"})
    plan_id = db.scalar(select(PlanVersion.plan_id))
    launch(platform, other_browser, COLLEAGUE)
    own = other_browser.get(f"{tool_url}/plans/{team['cilla'].id}")  # her own, for a token
    token = csrf(own.text)
    anna = team["anna"].id

    assert other_browser.get(f"{tool_url}/plans/{plan_id}/pdf").status_code == 404
    for path, data in (
        (f"/plans/{anna}/versions/1/confirm", {}),
        (f"/plans/{anna}/comments", {"comment": "hej"}),
        (f"/plans/{anna}", {"target-1.1": "8"}),
    ):
        assert (
            other_browser.post(tool_url + path, data={"csrf_token": token, **data}).status_code
            == 404
        )
    assert requests.get(f"{tool_url}/my/plan").status_code == 401
    db.expire_all()
    version = db.scalar(select(PlanVersion))
    assert (version.targets, version.employee_agreed_at, version.manager_agreed_at) == (
        {"1.1": 3},
        None,
        None,
    )
    assert len(db.scalars(select(PlanVersion)).all()) == 1
