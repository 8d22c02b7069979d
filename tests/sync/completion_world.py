"""A small world for the completion tests: an organisation whose employee launched the
tool once and has an agreed plan with items pointing at Moodle courses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from storage import (
    Database,
    Delivery,
    DevelopmentPlan,
    Employee,
    Launch,
    LearningActivity,
    Organisation,
    PlanItemCompletion,
    PlanVersion,
    XapiStatement,
)
from storage.completions import SyncTarget, record_completion
from storage.organisations import Deployment, PlatformRegistration
from storage.people import Person

COURSE_URL = "https://moodle.example.se/course/view.php?id={}"
COMPLETED = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


@dataclass
class World:
    organisation_id: int
    employee_id: int
    person_id: int
    plan_id: int
    item_keys: list[str]


def make_world(database: Database, items: int = 3) -> World:
    with database.transaction() as session:
        slug = f"org-{uuid.uuid4().hex[:8]}"
        organisation = Organisation(slug=slug, name="Umeå kommun")
        session.add(organisation)
        session.flush()
        registration = PlatformRegistration(
            organisation_id=organisation.id,
            issuer=f"https://{slug}.moodle.example.se",
            client_id="tool",
            auth_login_url="https://moodle.example.se/auth",
            auth_token_url="https://moodle.example.se/token",
            key_set_url="https://moodle.example.se/certs",
            deployments=[Deployment(deployment_id="1")],
        )
        person = Person(
            organisation_id=organisation.id, issuer=registration.issuer, subject="user-3"
        )
        session.add_all([registration, person])
        session.flush()
        session.add(
            Launch(
                person_id=person.id,
                registration_id=registration.id,
                deployment_id=registration.deployments[0].id,
                message_type="LtiResourceLinkRequest",
                claims={},
                locale="sv",
            )
        )
        employee = Employee(
            organisation_id=organisation.id,
            employee_number="3",
            name="Per Personalsson",
            person_id=person.id,
        )
        session.add(employee)
        session.flush()
        keys = []
        activities = []
        for number in range(items):
            activity = LearningActivity(
                organisation_id=organisation.id,
                title=f"Kurs {number}",
                kind="course",
                url=COURSE_URL.format(number),
                framework_key="digcomp-2.2",
                builds=[],
            )
            session.add(activity)
            session.flush()
            activities.append(activity)
            keys.append(f"a:{activity.id}")
        plan = DevelopmentPlan(
            organisation_id=organisation.id, employee_id=employee.id, period="2026"
        )
        plan.versions.append(
            PlanVersion(
                number=1,
                targets={"2.1": 4},
                items=[
                    {"key": k, "activity_id": a.id} for k, a in zip(keys, activities, strict=True)
                ],
                employee_agreed_at=COMPLETED,
                manager_agreed_at=COMPLETED,
            )
        )
        session.add(plan)
        session.flush()
        return World(organisation.id, employee.id, person.id, plan.id, keys)


def course_completed(database: Database, world: World, number: int, key: str | None = None):
    """A Moodle course completion matched to the plan item of course `number`."""
    with database.transaction() as session:
        return record_completion(
            session,
            organisation_id=world.organisation_id,
            source="moodle.course",
            source_key=key or f"course-{number}",
            kind="course",
            completed_at=COMPLETED,
            person_id=world.person_id,
            employee_id=world.employee_id,
            plan_id=world.plan_id,
            plan_item_key=world.item_keys[number],
            evidence={"title": f"Kurs {number}", "url": COURSE_URL.format(number)},
        )


def add_target(database: Database, world: World, kind: str = "hr_rest", enabled=True) -> int:
    with database.transaction() as session:
        target = SyncTarget(organisation_id=world.organisation_id, kind=kind, enabled=enabled)
        session.add(target)
        session.flush()
        return target.id


def deliveries_of(database: Database, world: World) -> dict[str, list[str]]:
    with database.sessions() as session:
        rows = session.execute(
            select(Delivery.target, Delivery.key).where(
                Delivery.organisation_id == world.organisation_id
            )
        )
        found: dict[str, list[str]] = {}
        for target, key in rows:
            found.setdefault(target, []).append(key)
        return {target: sorted(keys) for target, keys in found.items()}


def completed_items(database: Database, world: World) -> list[str]:
    with database.sessions() as session:
        return sorted(
            session.scalars(
                select(PlanItemCompletion.item_key).where(
                    PlanItemCompletion.plan_id == world.plan_id
                )
            )
        )


def statements_of(database: Database, world: World) -> int:
    with database.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(XapiStatement)
            .where(XapiStatement.organisation_id == world.organisation_id)
        )
