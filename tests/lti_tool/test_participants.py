"""A teacher sees who in the course has not started, is answering, or has submitted.

End to end: a teacher's launch that grants NRPS queues a roster sync (nothing is
fetched during the launch), the outbox worker reads the roster from the
platform, and the participants page shows it with each person's progress.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from lti.nrps import NRPS_CLAIM
from lti_tool.participants import by_name
from storage import Delivery, DeliveryStatus, Launch, MembershipStatus, utcnow
from storage.rosters import RosterEntry, RosterMember, apply_roster
from sync.dispatcher import deliver_due
from sync.scheduler import build_senders
from tests.lti_tool.test_accessibility import LANGUAGES, heading, launch_from_dev_platform
from tests.support.accessibility import assert_accessible
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import text_of
from tests.support.nrps_services import NrpsServices
from tests.support.platforms import TestPlatform

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ROSTER = [
    {"user_id": "3", "roles": ["Learner"], "name": "Lea Learner", "lis_person_sourcedid": "L1"},
    {"user_id": "4", "roles": ["Learner"], "name": "Leo Learner", "lis_person_sourcedid": "L2"},
    {"user_id": "7", "roles": ["Learner"], "given_name": "Ulla", "family_name": "Unstarted"},
    {"user_id": "8", "roles": ["Learner"]},  # the platform shares no name for this one
    {"user_id": "5", "roles": ["Instructor"], "name": "Tina Teacher"},
]


@pytest.fixture
def nrps(tool_url):
    double = NrpsServices(tool_url, "roster-client")
    for member in ROSTER:
        double.enrol("2", member)
    yield double
    double.stop()


@pytest.fixture
def moodle(tool_url, jwks_server, db, nrps) -> TestPlatform:
    site = TestPlatform(
        tool_url, jwks_server, issuer=nrps.url, client_id="roster-client", name="rostermoodle"
    )
    site.register(db)
    return site


def launch(moodle, browser, nrps, sub: str, teacher: bool = False, name: str | None = None):
    claims = {
        NRPS_CLAIM: {
            "context_memberships_url": nrps.memberships_url("2"),
            "service_versions": ["1.0", "2.0"],
        },
        CUSTOM: {"instrument": "digcomp-2.2-short"},
        "sub": sub,
    }
    if teacher:
        claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [INSTRUCTOR]
    if name:
        claims["name"] = name
    response = moodle.launch(browser, **claims)
    assert response.status_code == 200, response.text
    return response


def states_on(page: requests.Response) -> dict[str, str]:
    return dict(re.findall(r'<tr data-person="([^"]+)" data-state="([^"]+)">', page.text))


def count_on(page: requests.Response, state: str) -> int:
    return int(re.search(rf'data-testid="count-{state}">(\d+)<', page.text).group(1))


def test_a_teacher_launch_brings_the_roster_and_the_page_shows_who_has_not_started(
    browser, other_browser, tool_url, moodle, nrps, database, settings, db
):
    overview = launch(moodle, browser, nrps, "5", teacher=True, name="Tina Teacher")

    queued = db.scalar(select(Delivery))
    assert (queued.target, queued.status) == ("nrps.roster", DeliveryStatus.PENDING)
    assert queued.key.startswith(f"context:{queued.payload['context_id']}:launch:")
    assert queued.payload["memberships_url"] == nrps.memberships_url("2")
    assert nrps.membership_requests == []  # never fetched inside the launch
    assert 'data-testid="participants-link"' in overview.text
    before = browser.get(tool_url + "/course/participants")
    assert before.status_code == 200 and 'data-testid="no-roster"' in before.text

    counts = deliver_due(database, build_senders(settings))

    assert counts.by_target == {"nrps.roster": 1}
    assert nrps.refusals == []
    # The learners: Leo submits, Lea starts and stops; Ulla and the nameless one never start.
    launch(moodle, other_browser, nrps, "4")
    submit(other_browser, answer_all(other_browser, start(other_browser, tool_url), lambda o: o[1]))
    with requests.Session() as lea:
        learner_overview = launch(moodle, lea, nrps, "3")
        assert 'data-testid="participants-link"' not in learner_overview.text
        start(lea, tool_url)
        assert lea.get(tool_url + "/course/participants").status_code == 403
    assert db.scalar(select(func.count()).select_from(Delivery)) == 1  # learners queue nothing

    page = browser.get(tool_url + "/course/participants?lang=en")

    assert page.status_code == 200
    assert states_on(page) == {
        "3": "in_progress",
        "4": "submitted",
        "7": "not_started",
        "8": "not_started",
    }
    assert [count_on(page, s) for s in ("not_started", "in_progress", "submitted")] == [2, 1, 1]
    text = text_of(page.text)
    assert "Ulla Unstarted Not started" in text
    assert "Name not shared (user id 8) Not started" in text
    assert list(states_on(page)) == ["3", "4", "7", "8"]  # by name; no shared name last
    assert "Teachers and administrators are not listed." in text


def test_who_left_the_course_is_not_listed_and_a_teacher_relaunch_does_not_refetch_at_once(
    browser, tool_url, moodle, nrps, database, settings, db
):
    senders = build_senders(settings)
    launch(moodle, browser, nrps, "5", teacher=True)
    assert deliver_due(database, senders).delivered == 1
    synced_version = nrps.version
    nrps.unenrol("2", "7")

    launch(moodle, browser, nrps, "5", teacher=True)  # minutes later: nothing new is queued
    assert db.scalar(select(func.count()).select_from(Delivery)) == 1
    db.execute(update(Delivery).values(delivered_at=utcnow() - timedelta(minutes=10)))
    db.commit()
    launch(moodle, browser, nrps, "5", teacher=True)  # later: a sync of what changed since
    assert db.scalar(select(func.count()).select_from(Delivery)) == 2
    nrps.membership_requests.clear()
    assert deliver_due(database, senders).delivered == 1
    assert nrps.membership_requests == [
        f"/mod/lti/services.php/CourseSection/2/bindings/1/memberships?since={synced_version}"
    ]

    page = browser.get(tool_url + "/course/participants?lang=en")

    assert set(states_on(page)) == {"3", "4", "8"}
    assert "People who are no longer active in the course are not listed: 1." in text_of(page.text)


def test_a_learner_gets_403_and_someone_without_a_launch_401(browser, tool_url, moodle, nrps):
    launch(moodle, browser, nrps, "3")
    assert browser.get(tool_url + "/course/participants").status_code == 403
    with requests.Session() as stranger:
        assert stranger.get(tool_url + "/course/participants").status_code == 401


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_participants_page_has_no_accessibility_violations(page, tool_url, database, lang):
    launch_from_dev_platform(page, tool_url, "teacher", lang)
    with database.transaction() as session:
        teacher_launch = session.scalar(select(Launch).order_by(Launch.created_at.desc()))
        apply_roster(
            session,
            organisation_id=teacher_launch.person.organisation_id,
            issuer=teacher_launch.person.issuer,
            context_id=teacher_launch.context_id,
            members=[
                RosterMember("dev-1001", ("Learner",), name="Anna Andersson"),
                RosterMember("dev-1003", ("Learner",), given_name="Karin", family_name="Lund"),
                RosterMember("nameless-1", ("Learner",)),
                RosterMember("gone-1", ("Learner",), MembershipStatus.INACTIVE, name="Gone"),
                RosterMember("dev-1002", ("Instructor",), name="Erik Berg"),
            ],
            complete=True,
        )
    expect(page.get_by_test_id("participants-link")).to_be_visible()
    page.get_by_test_id("participants-link").click()

    expect(heading(page)).to_have_text({"sv": "Deltagare", "en": "Participants"}[lang])
    table = page.get_by_role(
        "table",
        name={
            "sv": "Självskattningens status per deltagare",
            "en": "Assessment status per participant",
        }[lang],
    )
    expect(table.get_by_role("row")).to_have_count(4)  # a header row and three participants
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def test_names_are_listed_in_swedish_order():
    def entry(subject, family, given="A"):
        return RosterEntry(
            0, subject, None, given, family, (), MembershipStatus.ACTIVE, "not_started", None
        )

    names = [entry(s, f) for s, f in [("1", "Öberg"), ("2", "Zetterlund"), ("3", "Åberg")]]
    names += [entry("4", "Ängström"), entry("5", "andersson"), entry("6", None, None)]
    assert [e.subject for e in sorted(names, key=by_name)] == ["5", "2", "3", "4", "1", "6"]


def test_without_a_participant_list_the_teacher_is_told_so_and_sees_who_has_opened_it(
    browser, other_browser, tool_url, moodle, nrps
):
    """A platform that offers no participant list (no NRPS claim): the page says so in
    plain words and lists who has opened the activity, instead of "reload in a minute"."""

    def launch_without_list(session, sub, teacher=False, name=None):
        claims = {CUSTOM: {"instrument": "digcomp-2.2-short"}, "sub": sub}
        if teacher:
            claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [INSTRUCTOR]
        if name:
            claims["name"] = name
        assert moodle.launch(session, **claims).status_code == 200

    launch_without_list(browser, "5", teacher=True, name="Tina Teacher")
    empty = browser.get(tool_url + "/course/participants?lang=en")
    assert 'data-testid="no-roster"' not in empty.text
    assert "does not give the tool a list of the course's participants" in text_of(empty.text)
    assert "No participant has opened the activity yet." in text_of(empty.text)

    launch_without_list(other_browser, "4", name="Leo Learner")
    submit(other_browser, answer_all(other_browser, start(other_browser, tool_url), lambda o: o[1]))
    with requests.Session() as lea:
        launch_without_list(lea, "3", name="Lea Learner")

    page = browser.get(tool_url + "/course/participants?lang=en")
    text = text_of(page.text)
    assert "does not give the tool a list of the course's participants" in text
    assert states_on(page) == {"3": "not_started", "4": "submitted"}
    assert "Lea Learner Not started" in text and "Leo Learner Submitted" in text
    assert "Tina Teacher" not in text  # teachers are not participants
    assert nrps.membership_requests == []
    swedish = text_of(browser.get(tool_url + "/course/participants?lang=sv").text)
    assert "Ladda om sidan" not in swedish
