"""A course's roster as the platform lists it, stored by `apply_roster` without the tool
running; and the outbox's memory of roster syncs (what is due, what the last one found)."""

from datetime import timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import func, select

from storage import (
    Context,
    Delivery,
    DeliveryStatus,
    Membership,
    MembershipStatus,
    Person,
    utcnow,
)
from storage.rosters import (
    AssessmentState,
    RosterMember,
    apply_roster,
    course_roster,
    last_roster_result,
    record_roster_result,
    roster_key,
    roster_sync_due_soon,
)
from tests.support.platforms import TestPlatform

ISSUER = "https://moodle.test.invalid"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TEACHER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


# Set up before `db` and so emptied after its session closed: a failing test's open
# transaction would otherwise hold SQLite's lock while the tables are emptied.
pytestmark = pytest.mark.usefixtures("clean_database")


class Course(NamedTuple):
    id: int
    organisation_id: int


@pytest.fixture
def course(clean_database, jwks_server, db) -> Course:
    registration = TestPlatform("https://tool.example", jwks_server, name="roster").register(db)
    context = Context(deployment_id=registration.deployments[0].id, lti_context_id="2")
    db.add(context)
    db.commit()
    return Course(context.id, registration.organisation_id)


def listing(db, course, members, complete=True, now=None):
    changes = apply_roster(
        db,
        organisation_id=course.organisation_id,
        issuer=ISSUER,
        context_id=course.id,
        members=members,
        complete=complete,
        now=now,
    )
    db.commit()
    return changes


def statuses(db, course) -> dict[str, tuple[MembershipStatus, list[str]]]:
    db.expire_all()
    rows = db.execute(
        select(Person.subject, Membership.status, Membership.roles)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.context_id == course.id)
    )
    return {subject: (status, roles) for subject, status, roles in rows}


def test_a_first_listing_brings_in_everyone_as_active_members(db, course):
    changes = listing(
        db,
        course,
        [
            RosterMember("u1", (LEARNER,), name="Lea Learner", email="lea@example.invalid"),
            RosterMember("u2", (TEACHER,), name="Tor Teacher"),
        ],
    )

    assert changes.as_dict() == {
        "people_added": 2,
        "people_updated": 0,
        "memberships_added": 2,
        "memberships_changed": 0,
        "memberships_unchanged": 0,
        "deactivated": 0,
        "ignored_deleted": 0,
    }
    assert statuses(db, course) == {
        "u1": (MembershipStatus.ACTIVE, [LEARNER]),
        "u2": (MembershipStatus.ACTIVE, [TEACHER]),
    }
    lea = db.scalar(select(Person).where(Person.subject == "u1"))
    assert (lea.organisation_id, lea.issuer, lea.email) == (
        course.organisation_id,
        ISSUER,
        "lea@example.invalid",
    )


def test_someone_missing_from_a_complete_listing_becomes_inactive_but_not_from_a_partial_one(
    db, course
):
    listing(db, course, [RosterMember("u1", (LEARNER,)), RosterMember("u2", (LEARNER,))])

    partial = listing(db, course, [RosterMember("u1", (LEARNER,))], complete=False)
    assert partial.deactivated == 0
    assert statuses(db, course)["u2"][0] is MembershipStatus.ACTIVE

    complete = listing(db, course, [RosterMember("u1", (LEARNER,))])
    assert (complete.deactivated, complete.memberships_unchanged) == (1, 1)
    assert statuses(db, course)["u2"][0] is MembershipStatus.INACTIVE


def test_a_changed_role_is_a_changed_membership_and_a_returning_member_is_active_again(db, course):
    listing(db, course, [RosterMember("u1", (LEARNER,)), RosterMember("u2", (LEARNER,))])
    listing(db, course, [RosterMember("u1", (LEARNER,))])

    back = listing(db, course, [RosterMember("u1", (TEACHER,)), RosterMember("u2", (LEARNER,))])

    assert (back.memberships_changed, back.memberships_added) == (2, 0)
    assert statuses(db, course) == {
        "u1": (MembershipStatus.ACTIVE, [TEACHER]),
        "u2": (MembershipStatus.ACTIVE, [LEARNER]),
    }


def test_a_deleted_member_keeps_their_roles_and_a_stranger_reported_deleted_is_not_stored(
    db, course
):
    listing(db, course, [RosterMember("u1", (LEARNER,))])

    changes = listing(
        db,
        course,
        [
            RosterMember("u1", (), MembershipStatus.DELETED),
            RosterMember("never-met", (LEARNER,), MembershipStatus.DELETED),
        ],
        complete=False,
    )

    assert (changes.ignored_deleted, changes.people_added, changes.memberships_changed) == (1, 0, 1)
    assert statuses(db, course) == {"u1": (MembershipStatus.DELETED, [LEARNER])}
    assert db.scalar(select(func.count()).select_from(Person)) == 1


def test_what_the_platform_stops_sharing_is_kept_and_what_it_changes_is_updated(db, course):
    listing(
        db,
        course,
        [RosterMember("u1", (LEARNER,), name="Lea Learner", email="lea@example.invalid")],
    )

    changes = listing(db, course, [RosterMember("u1", (LEARNER,), name="Lea Lärare")])

    assert (changes.people_updated, changes.memberships_unchanged) == (1, 1)
    db.expire_all()
    lea = db.scalar(select(Person).where(Person.subject == "u1"))
    assert (lea.name, lea.email) == ("Lea Lärare", "lea@example.invalid")
    assert listing(db, course, [RosterMember("u1", (LEARNER,))]).people_updated == 0


def test_a_member_listed_twice_counts_once_with_the_last_listing(db, course):
    changes = listing(db, course, [RosterMember("u1", (LEARNER,)), RosterMember("u1", (TEACHER,))])

    assert (changes.people_added, changes.memberships_added) == (1, 1)
    assert statuses(db, course) == {"u1": (MembershipStatus.ACTIVE, [TEACHER])}


def test_the_teachers_roster_shows_every_member_not_started_and_the_latest_sync(db, course):
    earlier = utcnow() - timedelta(days=2)
    listing(db, course, [RosterMember("u1", (LEARNER,), given_name="Lea")], now=earlier)
    later = utcnow() - timedelta(hours=1)
    listing(db, course, [RosterMember("u2", (LEARNER,))], complete=False, now=later)

    roster = course_roster(db, course.id, resource_link_id=None)

    by_subject = {entry.subject: entry for entry in roster.entries}
    assert set(by_subject) == {"u1", "u2"}
    assert by_subject["u1"].given_name == "Lea"
    assert {entry.state for entry in roster.entries} == {AssessmentState.NOT_STARTED}
    assert abs(roster.synced_at - later) < timedelta(seconds=1)
    assert course_roster(db, course.id + 1000, resource_link_id=None).entries == []


def roster_delivery(db, course, occasion, status, **values) -> Delivery:
    delivery = Delivery(
        target="nrps.roster",
        key=roster_key(course.id, occasion),
        payload={"context_id": course.id},
        status=status,
        **values,
    )
    db.add(delivery)
    db.commit()
    return delivery


def test_a_sync_waiting_to_run_or_finished_minutes_ago_makes_another_unnecessary(db, course):
    now = utcnow()
    due = lambda: roster_sync_due_soon(db, course.id, cooldown=timedelta(minutes=5), now=now)  # noqa: E731
    assert not due()

    running = roster_delivery(
        db, course, "running", DeliveryStatus.PENDING, leased_until=now + timedelta(minutes=1)
    )
    assert not due()  # a running sync may have read the roster already
    running.leased_until = now - timedelta(seconds=1)  # its lease ran out: it waits again
    db.commit()
    assert due()

    db.delete(running)
    roster_delivery(
        db, course, "old", DeliveryStatus.DELIVERED, delivered_at=now - timedelta(minutes=6)
    )
    assert not due()
    roster_delivery(
        db, course, "recent", DeliveryStatus.DELIVERED, delivered_at=now - timedelta(minutes=4)
    )
    assert due()
    assert not roster_sync_due_soon(db, course.id + 1, cooldown=timedelta(minutes=5), now=now)


def test_the_last_delivered_sync_remembers_what_it_found(db, course):
    now = utcnow()
    first = roster_delivery(
        db, course, "first", DeliveryStatus.DELIVERED, delivered_at=now - timedelta(hours=2)
    )
    second = roster_delivery(
        db, course, "second", DeliveryStatus.DELIVERED, delivered_at=now - timedelta(hours=1)
    )
    roster_delivery(db, course, "waiting", DeliveryStatus.PENDING)
    assert last_roster_result(db, course.id) is None

    record_roster_result(db, first.key, {"differences": "https://first"})
    record_roster_result(db, second.key, {"differences": "https://second"})
    record_roster_result(db, roster_key(course.id, "never-queued"), {"lost": True})
    db.commit()

    assert last_roster_result(db, course.id) == {"differences": "https://second"}
    db.expire_all()
    assert db.get(Delivery, second.id).payload == {
        "context_id": course.id,
        "result": {"differences": "https://second"},
    }
