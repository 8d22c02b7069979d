"""Rosters through NRPS v2: paged, batched, kept in step with the platform, and never in a loop."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, update

from lti.claims import primary_role
from lti.nrps import (
    CONTEXT_ROLE,
    NRPS_CLAIM,
    NrpsClient,
    NrpsRosterSender,
    memberships_url,
    normalise_role,
    parse_container,
)
from lti.rosters import queue_roster_refreshes, refresh_rosters
from lti.service_tokens import ServiceTokens
from outbound.delivery import DeliveryFailed
from outbound.http_client import make_http_session
from storage import (
    Context,
    Delivery,
    DeliveryStatus,
    Deployment,
    Launch,
    Membership,
    MembershipStatus,
    Person,
    PlatformRegistration,
    utcnow,
)
from storage.rosters import roster_key
from sync.dispatcher import deliver_due
from sync.scheduler import add_jobs, build_senders
from tests.conftest import FIXTURES
from tests.support.nrps_services import NrpsServices, numbered_members
from tests.support.platforms import TestPlatform

LEARNER = CONTEXT_ROLE + "Learner"
INSTRUCTOR = CONTEXT_ROLE + "Instructor"


@pytest.fixture
def nrps(tool_url):
    double = NrpsServices(tool_url, "nrps-client", page_size=100)
    yield double
    double.stop()


@pytest.fixture
def registration(tool_url, jwks_server, db, nrps):
    site = TestPlatform(
        tool_url, jwks_server, issuer=nrps.url, client_id="nrps-client", name="nrpsmoodle"
    )
    return site.register(db)


@pytest.fixture
def context(db, registration) -> Context:
    course = Context(deployment_id=registration.deployments[0].id, lti_context_id="2")
    db.add(course)
    db.commit()
    return course


@pytest.fixture
def sync(database, registration, context, nrps):
    """Runs one roster sync as the outbox worker would, in its own transaction."""
    http = make_http_session(timeout=5, retries=0)
    sender = NrpsRosterSender(http, ServiceTokens(http))
    runs = iter(range(1, 1000))

    def run(full: bool = True, course: str = "2"):
        key = roster_key(context.id, f"test:{next(runs)}")
        payload = {
            "key": key,
            "registration_id": registration.id,
            "context_id": context.id,
            "memberships_url": nrps.memberships_url(course),
            "full": full,
        }
        with database.transaction() as session:
            # A delivery row as the worker handles it, so the next sync finds this one's result.
            session.add(Delivery(target="nrps.roster", key=key, payload=payload))
            session.flush()
            sender(session, payload)
            session.execute(
                update(Delivery)
                .where(Delivery.key == key)
                .values(status=DeliveryStatus.DELIVERED, delivered_at=utcnow())
            )
        return key

    return run


def memberships(db, context) -> dict[str, Membership]:
    db.expire_all()
    rows = db.execute(
        select(Person.subject, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.context_id == context.id)
    )
    return {subject: membership for subject, membership in rows}


@contextmanager
def counted_statements(engine):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_thousand_members_over_ten_pages_arrive_in_a_few_statements(
    nrps, sync, db, database, context
):
    for member in numbered_members(1000):
        nrps.enrol("2", member)

    started = time.perf_counter()
    with counted_statements(database.engine) as statements:
        sync()
    elapsed = time.perf_counter() - started

    assert len(nrps.membership_requests) == 10
    assert nrps.refusals == []
    assert nrps.token_requests == 1
    # Batched: a handful of statements, not one SELECT (or INSERT) per member.
    assert len(statements) < 40, f"{len(statements)} statements for 1,000 members"
    assert elapsed < 30
    stored = memberships(db, context)
    assert len(stored) == 1000
    assert {m.status for m in stored.values()} == {MembershipStatus.ACTIVE}
    assert stored["u00001"].roles == [LEARNER]
    assert stored["u00002"].roles == [LEARNER]
    assert stored["u00005"].roles == [INSTRUCTOR]
    assert stored["u00010"].roles == [INSTRUCTOR]
    people = {p.subject: p for p in db.scalars(select(Person).where(Person.issuer == nrps.url))}
    assert len(people) == 1000
    last = people["u01000"]
    assert (last.name, last.given_name, last.family_name) == (
        "Åsa1000 Öberg1000",
        "Åsa1000",
        "Öberg1000",
    )
    assert (last.email, last.person_sourcedid) == ("staff1000@example.invalid", "HR01000")
    assert last.organisation_id == context_organisation(db, context)


def context_organisation(db, context) -> int:
    return db.scalar(
        select(PlatformRegistration.organisation_id)
        .join(Deployment, Deployment.registration_id == PlatformRegistration.id)
        .where(Deployment.id == context.deployment_id)
    )


def test_a_second_full_sync_makes_who_left_inactive_and_is_as_cheap(
    nrps, sync, db, database, context
):
    for member in numbered_members(1000):
        nrps.enrol("2", member)
    sync()
    nrps.rosters["2"].pop("u00500")  # unenrolled in Moodle: simply no longer listed
    nrps.enrol("2", {**nrps.rosters["2"]["u00007"], "roles": ["Instructor"]})

    with counted_statements(database.engine) as statements:
        sync()

    assert len(statements) < 40
    stored = memberships(db, context)
    assert stored["u00500"].status is MembershipStatus.INACTIVE
    assert stored["u00007"].roles == [INSTRUCTOR]
    assert sum(m.status is MembershipStatus.ACTIVE for m in stored.values()) == 999
    # The person stays known (their results still belong to them); only the membership changed.
    assert db.scalar(select(Person.name).where(Person.subject == "u00500")) == "Åsa500 Öberg500"

    nrps.enrol("2", numbered_members(1, start=500)[0])  # back in the course
    sync()
    assert memberships(db, context)["u00500"].status is MembershipStatus.ACTIVE


def test_a_member_reported_deleted_becomes_deleted_and_unknown_deleted_ones_are_not_stored(
    nrps, sync, db, context
):
    for member in numbered_members(3):
        nrps.enrol("2", member)
    sync()
    nrps.enrol("2", {**nrps.rosters["2"]["u00002"], "status": "Deleted"})
    nrps.enrol("2", {**numbered_members(1, start=99)[0], "status": "Deleted"})
    nrps.enrol("2", {**nrps.rosters["2"]["u00003"], "status": "Inactive"})

    sync()

    stored = memberships(db, context)
    assert stored["u00001"].status is MembershipStatus.ACTIVE
    assert stored["u00002"].status is MembershipStatus.DELETED
    assert stored["u00003"].status is MembershipStatus.INACTIVE
    assert "u00099" not in stored
    assert db.scalar(select(Person.id).where(Person.subject == "u00099")) is None


def test_a_differences_sync_applies_only_the_changes_listed(nrps, sync, db, context):
    for member in numbered_members(250):
        nrps.enrol("2", member)
    first = sync()
    result = db.scalar(select(Delivery.payload).where(Delivery.key == first))["result"]
    assert result["differences_url"] == nrps.memberships_url() + f"?since={nrps.version}"
    assert (result["pages"], result["members"], result["full"]) == (3, 250, True)
    nrps.unenrol("2", "u00010")
    nrps.enrol("2", {**nrps.rosters["2"]["u00020"], "name": "Åsa Renamed", "email": None})
    nrps.enrol("2", numbered_members(1, start=251)[0])
    nrps.membership_requests.clear()

    second = sync(full=False)

    assert nrps.membership_requests == [
        "/mod/lti/services.php/CourseSection/2/bindings/1/memberships?since=250"
    ]
    stored = memberships(db, context)
    assert len(stored) == 251
    assert stored["u00010"].status is MembershipStatus.DELETED
    assert stored["u00251"].status is MembershipStatus.ACTIVE
    # Not listed in the differences, yet nobody else became inactive.
    assert sum(m.status is MembershipStatus.ACTIVE for m in stored.values()) == 250
    renamed = db.scalar(select(Person).where(Person.subject == "u00020"))
    assert renamed.name == "Åsa Renamed"
    assert renamed.email == "staff20@example.invalid"  # not shared this time: kept, not erased
    result = db.scalar(select(Delivery.payload).where(Delivery.key == second))["result"]
    assert (result["full"], result["members"]) == (False, 3)
    assert result["differences_url"].endswith(f"?since={nrps.version}")


def test_a_refused_differences_link_falls_back_to_the_whole_roster(nrps, sync, db, context):
    for member in numbered_members(5):
        nrps.enrol("2", member)
    sync()
    nrps.offer_differences = False
    nrps.rosters["2"].pop("u00003")
    db.expire_all()
    delivery = db.scalar(select(Delivery))
    delivery.payload = {
        **delivery.payload,
        "result": {
            **delivery.payload["result"],
            "differences_url": nrps.memberships_url() + "/expired",
        },
    }
    db.commit()

    sync(full=False)

    assert memberships(db, context)["u00003"].status is MembershipStatus.INACTIVE


def test_paging_that_loops_back_stops_and_deactivates_no_one(nrps, sync, db, context):
    for member in numbered_members(1000):
        nrps.enrol("2", member)
    sync()
    nrps.loop_back = (5, 2)  # page 5 says the next page is page 2 again
    nrps.rosters["2"].pop("u00950")  # on page 10, which this listing never reaches
    nrps.enrol("2", {**nrps.rosters["2"]["u00101"], "name": "Seen On Page Two"})
    nrps.membership_requests.clear()

    key = sync()

    assert len(nrps.membership_requests) == 5
    stored = memberships(db, context)
    assert stored["u00950"].status is MembershipStatus.ACTIVE  # an incomplete list proves nothing
    assert db.scalar(select(Person.name).where(Person.subject == "u00101")) == "Seen On Page Two"
    result = db.scalar(select(Delivery.payload).where(Delivery.key == key))["result"]
    assert (result["complete"], result["deactivated"]) == (False, 0)


def test_a_page_that_links_to_itself_ends_the_listing(nrps, registration, database):
    nrps.enrol("2", numbered_members(1)[0])
    nrps.loop_back = (1, 1)
    http = make_http_session(timeout=5, retries=0)
    with database.sessions() as session:
        url = nrps.memberships_url() + "?page=1"
        roster = NrpsClient(http, ServiceTokens(http)).fetch(session, registration, url)
    assert (roster.pages, roster.complete, len(roster.members)) == (1, False, 1)


def test_moodles_recorded_answer_is_understood(nrps, sync, db, context):
    recorded = json.loads((FIXTURES / "moodle-4.5" / "nrps-memberships-get.json").read_text())
    body = recorded["exchanges"][0]["response"]["body"]

    members, skipped = parse_container(body)

    assert skipped == 0
    by_id = {m.subject: m for m in members}
    assert set(by_id) == {"3", "4", "5", "6"}
    assert by_id["3"].roles == (LEARNER,)
    assert by_id["5"].roles == (INSTRUCTOR,)
    assert primary_role(list(by_id["5"].roles)) == "teacher"
    assert primary_role(list(by_id["4"].roles)) == "learner"
    assert (by_id["6"].name, by_id["6"].person_sourcedid) == ("Max Manager", "MANAGER1")
    assert by_id["3"].email == "learner1@example.invalid"

    for member in body["members"]:
        nrps.enrol("2", member)
    sync()
    stored = memberships(db, context)
    assert {subject: m.roles for subject, m in stored.items()} == {
        "3": [LEARNER],
        "4": [LEARNER],
        "5": [INSTRUCTOR],
        "6": [INSTRUCTOR],
    }


def test_roles_short_and_full_are_read_alike():
    assert normalise_role("Learner") == LEARNER
    assert normalise_role(" Instructor ") == INSTRUCTOR
    assert normalise_role("Instructor#TeachingAssistant") == (
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    )
    full = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    assert normalise_role(full) == full
    assert primary_role([normalise_role("Instructor#TeachingAssistant")]) == "teacher"


def test_members_without_a_usable_user_id_are_skipped_and_status_defaults_to_active():
    members, skipped = parse_container(
        {
            "members": [
                {"user_id": "1", "roles": ["Learner"]},
                {"roles": ["Learner"]},
                {"user_id": "", "roles": ["Learner"]},
                {"user_id": "x" * 300, "roles": ["Learner"]},
                "not a member",
                {"user_id": "2", "roles": ["Learner"], "status": "Suspended?", "email": "a" * 400},
            ]
        }
    )
    assert [m.subject for m in members] == ["1", "2"]
    assert skipped == 4
    assert {m.status for m in members} == {MembershipStatus.ACTIVE}
    assert members[1].email is None  # too long to be an address: not stored cut short
    with pytest.raises(ValueError):
        parse_container({"id": "x"})


def test_only_a_v2_http_memberships_url_counts():
    url = "https://moodle.example/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
    assert memberships_url({NRPS_CLAIM: {"context_memberships_url": url}}) == url
    claim = {"context_memberships_url": url, "service_versions": ["1.0", "2.0"]}
    assert memberships_url({NRPS_CLAIM: claim}) == url
    assert memberships_url({NRPS_CLAIM: {**claim, "service_versions": ["1.0"]}}) is None
    assert memberships_url({NRPS_CLAIM: {"context_memberships_url": "javascript:x"}}) is None
    assert memberships_url({}) is None


def test_names_a_launch_stored_are_never_erased_by_a_roster_without_them(
    nrps, sync, db, context, registration
):
    db.add(
        Person(
            organisation_id=registration.organisation_id,
            issuer=nrps.url,
            subject="u00001",
            name="Lea Launch",
            email="lea@example.invalid",
        )
    )
    db.commit()
    nrps.enrol("2", {"user_id": "u00001", "roles": ["Learner"], "lis_person_sourcedid": "HR1"})

    sync()

    db.expire_all()
    person = db.scalar(select(Person).where(Person.subject == "u00001"))
    assert (person.name, person.email, person.person_sourcedid) == (
        "Lea Launch",
        "lea@example.invalid",
        "HR1",
    )
    assert db.scalar(select(func.count()).select_from(Person)) == 1


@pytest.mark.parametrize(
    ("breakage", "retryable"),
    [("down", True), ("scope", False), ("forbidden", False), ("unreachable", True)],
)
def test_failures_say_whether_a_retry_can_help(
    nrps, registration, database, context, breakage, retryable
):
    url = nrps.memberships_url()
    if breakage == "down":
        nrps.fail_memberships_with = 503
    elif breakage == "scope":
        nrps.granted_scopes = {"https://purl.imsglobal.org/spec/lti-ags/scope/score"}
    elif breakage == "forbidden":
        nrps.fail_memberships_with = 403
    else:
        url = "http://127.0.0.1:9/unreachable"
    http = make_http_session(timeout=5, retries=0)
    sender = NrpsRosterSender(http, ServiceTokens(http))
    payload = {
        "registration_id": registration.id,
        "context_id": context.id,
        "memberships_url": url,
        "full": True,
    }
    with database.sessions() as session, pytest.raises(DeliveryFailed) as failed:
        sender(session, payload)
    assert failed.value.retryable is retryable


def test_the_daily_refresh_queues_courses_whose_latest_launch_granted_nrps(
    tool_url, jwks_server, db, nrps, database, settings, browser, other_browser
):
    moodle = TestPlatform(
        tool_url, jwks_server, issuer=nrps.url, client_id="nrps-client", name="dailymoodle"
    )
    moodle.register(db)
    for member in numbered_members(3):
        nrps.enrol("2", member)
    claim = {NRPS_CLAIM: {"context_memberships_url": nrps.memberships_url("2")}}
    course_3 = "https://purl.imsglobal.org/spec/lti/claim/context"
    assert moodle.launch(browser, **claim).status_code == 200  # a learner: nothing queued now
    assert moodle.launch(other_browser, **{course_3: {"id": "3", "title": "Other"}}).ok
    assert db.scalar(select(func.count()).select_from(Delivery)) == 0

    with database.transaction() as session:
        assert queue_roster_refreshes(session) == 1
    with database.transaction() as session:
        queue_roster_refreshes(session)  # again the same day: the same key, no second delivery
    assert db.scalar(select(func.count()).select_from(Delivery)) == 1

    assert deliver_due(database, build_senders(settings)).delivered == 1
    course = db.scalar(select(Context).where(Context.lti_context_id == "2"))
    assert len(memberships(db, course)) == 3
    assert db.scalar(select(func.count()).select_from(Launch)) == 2


def test_the_scheduler_delivers_rosters_and_queues_a_daily_refresh(settings, database, db, app):
    class Scheduler:
        def __init__(self):
            self.jobs = {}

        def add_job(self, func, trigger, **options):
            self.jobs[options["id"]] = (func, trigger, options)

    scheduler = Scheduler()
    runner = add_jobs(scheduler, settings, database)

    func_, trigger, options = scheduler.jobs["nrps-rosters"]
    assert (func_, trigger, options["args"]) == (runner.run, "cron", ["nrps-rosters"])
    assert (options["hour"], options["minute"]) == (2, 30)
    assert isinstance(build_senders(settings)["nrps.roster"], NrpsRosterSender)
    assert db.scalar(select(func.count()).select_from(Launch)) == 0
    assert refresh_rosters(database) == 0
