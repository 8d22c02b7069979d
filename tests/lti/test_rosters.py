"""When the tool asks a platform for a course's roster: after a teacher's launch that grants
NRPS (not again for a few minutes), and once a day for every course used lately; called
directly, without the tool running (tests/lti/test_nrps.py fetches the rosters)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lti.nrps import NRPS_CLAIM
from lti.rosters import (
    LAUNCH_COOLDOWN,
    REFRESH_IDLE_LIMIT,
    queue_roster_refreshes,
    queue_roster_sync,
    refresh_rosters,
)
from storage import (
    Context,
    Delivery,
    DeliveryStatus,
    Launch,
    Person,
    PlatformRegistration,
    utcnow,
)
from storage.rosters import roster_key
from tests.support.platforms import TestPlatform

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
TEACHER = [MEMBERSHIP + "Instructor"]
LEARNER = [MEMBERSHIP + "Learner"]
URL = "https://moodle.test.invalid/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
GRANTS_NRPS = {NRPS_CLAIM: {"context_memberships_url": URL, "service_versions": ["2.0"]}}


# Set up before `db` and so emptied after its session closed: a failing test's open
# transaction would otherwise hold SQLite's lock while the tables are emptied.
pytestmark = pytest.mark.usefixtures("clean_database")


class Site:
    """A registered platform, one person and the courses they open."""

    def __init__(self, db, registration: PlatformRegistration) -> None:
        self.db = db
        self.registration = registration
        self.person = Person(
            organisation_id=registration.organisation_id, issuer=registration.issuer, subject="3"
        )
        db.add(self.person)
        db.commit()
        self.courses: dict[str, Context] = {}

    def course(self, lti_id: str) -> Context:
        if lti_id not in self.courses:
            context = Context(
                deployment_id=self.registration.deployments[0].id, lti_context_id=lti_id
            )
            self.db.add(context)
            self.db.commit()
            self.courses[lti_id] = context
        return self.courses[lti_id]

    def launch(self, roles, claims=GRANTS_NRPS, course: str | None = "2", ago=timedelta(0)):
        launch = Launch(
            person_id=self.person.id,
            registration_id=self.registration.id,
            deployment_id=self.registration.deployments[0].id,
            context_id=self.course(course).id if course else None,
            message_type="LtiResourceLinkRequest",
            roles=roles,
            claims=claims,
            created_at=utcnow() - ago,
        )
        self.db.add(launch)
        self.db.commit()
        return launch


@pytest.fixture
def site(clean_database, jwks_server, db) -> Site:
    registration = TestPlatform("https://tool.example", jwks_server, name="rosters").register(db)
    return Site(db, registration)


def deliveries(db) -> list[tuple[str, dict]]:
    db.expire_all()
    return [
        (delivery.key, delivery.payload)
        for delivery in db.scalars(select(Delivery).order_by(Delivery.created_at, Delivery.key))
    ]


def test_a_teachers_launch_that_grants_nrps_queues_a_sync_of_the_changes(db, site):
    launch = site.launch(TEACHER)

    assert queue_roster_sync(db, launch) is True
    db.commit()

    key = roster_key(launch.context_id, f"launch:{launch.id}")
    assert deliveries(db) == [
        (
            key,
            {
                "key": key,
                "registration_id": site.registration.id,
                "context_id": launch.context_id,
                "memberships_url": URL,
                "full": False,
            },
        )
    ]
    assert db.scalar(select(Delivery.organisation_id)) == site.registration.organisation_id


@pytest.mark.parametrize(
    ("roles", "claims", "course"),
    [
        (LEARNER, GRANTS_NRPS, "2"),
        (TEACHER, {}, "2"),
        (TEACHER, {NRPS_CLAIM: {**GRANTS_NRPS[NRPS_CLAIM], "service_versions": ["1.0"]}}, "2"),
        (TEACHER, GRANTS_NRPS, None),
    ],
    ids=["a-learner", "no-nrps", "nrps-v1-only", "no-course"],
)
def test_no_sync_is_queued_for_a_launch_that_cannot_or_need_not_read_the_roster(
    db, site, roles, claims, course
):
    launch = site.launch(roles, claims, course)

    assert queue_roster_sync(db, launch) is False
    db.commit()
    assert deliveries(db) == []


def test_teachers_reopening_the_course_queue_one_sync_until_it_is_minutes_old(db, site):
    first = site.launch(TEACHER)
    assert queue_roster_sync(db, first) is True
    db.commit()

    assert queue_roster_sync(db, site.launch(TEACHER)) is False  # the first one still waits
    db.execute(
        update(Delivery).values(
            status=DeliveryStatus.DELIVERED, delivered_at=utcnow() - LAUNCH_COOLDOWN / 2
        )
    )
    db.commit()
    assert queue_roster_sync(db, site.launch(TEACHER)) is False  # delivered just now
    db.execute(update(Delivery).values(delivered_at=utcnow() - LAUNCH_COOLDOWN * 2))
    db.commit()

    assert queue_roster_sync(db, site.launch(TEACHER)) is True
    db.commit()
    assert len(deliveries(db)) == 2


def test_the_daily_refresh_reads_every_recent_course_whose_latest_launch_granted_nrps(db, site):
    site.launch(LEARNER, course="2")  # any role: the refresh reads whole rosters
    site.launch(TEACHER, course="3", ago=timedelta(days=1))
    site.launch(TEACHER, course="3", claims={})  # the latest launch of course 3 grants nothing
    site.launch(TEACHER, course="4", ago=REFRESH_IDLE_LIMIT + timedelta(days=1))  # idle
    site.launch(TEACHER, course=None)

    assert queue_roster_refreshes(db) == 1
    db.commit()

    course = site.courses["2"].id
    key = roster_key(course, f"daily:{utcnow().date().isoformat()}")
    assert deliveries(db) == [
        (
            key,
            {
                "key": key,
                "registration_id": site.registration.id,
                "context_id": course,
                "memberships_url": URL,
                "full": True,
            },
        )
    ]


def test_a_disabled_platforms_courses_are_not_refreshed(db, site):
    site.launch(TEACHER)
    db.execute(update(PlatformRegistration).values(enabled=False))
    db.commit()

    assert queue_roster_refreshes(db) == 0


def test_the_scheduler_job_queues_each_course_once_a_day(clean_database, db, site):
    site.launch(TEACHER)

    assert refresh_rosters(clean_database) == 1
    assert refresh_rosters(clean_database) == 1  # the same day's key: no second delivery
    assert len(deliveries(db)) == 1
