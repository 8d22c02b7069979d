"""Shared pieces of the Moodle tests: an organisation with a Moodle target, people, completions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from outbound.http_client import make_http_session
from storage import Database, Delivery, Organisation
from storage.completions import CompletionEvent, SyncTarget, fan_out
from storage.lrs import seal
from storage.people import Person
from storage.staff import Employee
from sync.dispatcher import deliver_due
from sync.moodle_plans import TARGET, MoodlePlanSender
from tests.support.moodle_ws import TOKEN

SECRET_KEY = "moodle-test-secret-key-0123456789abcdef"
ISSUER = "http://127.0.0.1:8081"


def organisation_with_moodle(database: Database, moodle, token: str = TOKEN, **settings) -> dict:
    """A new organisation whose Moodle is the double; returns its ids."""
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        target = SyncTarget(
            organisation_id=organisation.id,
            kind="moodle",
            name="Moodle",
            settings={"url": moodle.url, **settings},
            sealed_secret=seal(SECRET_KEY, token),
            enabled=True,
        )
        session.add(target)
        session.flush()
        return {"organisation": organisation.id, "target": target.id}


def learner(database: Database, organisation_id: int, moodle_user_id: int) -> dict:
    """A person launched from Moodle (sub = Moodle user id) and their employee record."""
    with database.transaction() as session:
        person = Person(
            organisation_id=organisation_id,
            issuer=ISSUER,
            subject=str(moodle_user_id),
            name=f"Learner {moodle_user_id}",
        )
        session.add(person)
        session.flush()
        employee = Employee(
            organisation_id=organisation_id,
            employee_number=f"E{moodle_user_id}",
            name=person.name,
            person_id=person.id,
        )
        session.add(employee)
        session.flush()
        return {"person": person.id, "employee": employee.id}


def completion(database: Database, ids: dict, who: dict, levels: dict, key: str) -> int:
    """A completion event (an assessment) queued for the organisation's targets."""
    with database.transaction() as session:
        event = CompletionEvent(
            organisation_id=ids["organisation"],
            source="tool.attempt",
            source_key=key,
            person_id=who["person"],
            employee_id=who["employee"],
            kind="assessment",
            framework_key="digcomp-2.2",
            levels=levels,
            completed_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
            evidence={"title": "Självskattning DigComp"},
        )
        session.add(event)
        session.flush()
        fan_out(session, event.id, ids["organisation"], plan_id=None, source=event.source)
        return event.id


def send(database: Database):
    sender = MoodlePlanSender(make_http_session(timeout=10, retries=0), SECRET_KEY)
    return deliver_due(database, {TARGET: sender})


def moodle_deliveries(database: Database) -> list[Delivery]:
    with database.sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.target == TARGET)))
