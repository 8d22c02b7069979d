"""Shared pieces of the HR connector tests: employees, their completions, HR targets."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage import (
    CompletionEvent,
    Database,
    Delivery,
    DeliveryStatus,
    Employee,
    Organisation,
    SyncTarget,
)
from storage.outbox import enqueue
from sync.hr_records import TARGET_OF_KIND, delivery_key
from sync.target_secrets import seal_secrets

SECRET_KEY = "hr-connector-test-secret-key-0123456789abcdef"
COMPLETED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def organisation_with_staff(database: Database, employees: int = 10) -> int:
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        session.add_all(
            Employee(
                organisation_id=organisation.id,
                employee_number=f"E{number:05d}",
                email=f"e{number}@umea.example.se",
                name=f"Medarbetare {number}",
            )
            for number in range(employees)
        )
        return organisation.id


def add_target(
    database: Database, organisation_id: int, kind: str, settings: dict, secrets: dict | None = None
) -> int:
    with database.transaction() as session:
        target = SyncTarget(
            organisation_id=organisation_id,
            kind=kind,
            name=f"HR {kind}",
            settings=settings,
            sealed_secret=seal_secrets(SECRET_KEY, secrets) if secrets else None,
        )
        session.add(target)
        session.flush()
        return target.id


def complete(
    database: Database, organisation_id: int, count: int, levels: dict | None = None
) -> list[int]:
    """`count` completed assessments, spread over the organisation's employees."""
    with database.transaction() as session:
        employees = session.scalars(
            select(Employee.id).where(Employee.organisation_id == organisation_id)
        ).all()
        events = [
            CompletionEvent(
                organisation_id=organisation_id,
                source="tool.attempt",
                source_key=f"attempt-{uuid.uuid4().hex}",
                employee_id=employees[number % len(employees)],
                kind="assessment",
                framework_key="digcomp-2.2",
                levels=levels or {"1.1": 1 + number % 8, "2.4": 1 + (number + 3) % 8},
                completed_at=COMPLETED + timedelta(minutes=number),
                evidence={"title": "Självskattning DigComp 2.2", "score": 0.5},
            )
            for number in range(count)
        ]
        session.add_all(events)
        session.flush()
        return [event.id for event in events]


def queue(database: Database, target_id: int, event_ids: list[int]) -> None:
    """What ingesting a completion does for each HR target: one delivery row."""
    with database.transaction() as session:
        target = session.get(SyncTarget, target_id)
        for event_id in event_ids:
            enqueue(
                session,
                TARGET_OF_KIND[target.kind],
                delivery_key(target_id, event_id),
                {"completion_event_id": event_id, "sync_target_id": target_id},
                target.organisation_id,
            )


def statuses(database: Database, target_id: int) -> dict[DeliveryStatus, int]:
    with database.sessions() as session:
        rows = session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.key.startswith(f"{target_id}:"))
            .group_by(Delivery.status)
        )
        return dict(rows.all())


def dead_reasons(database: Database, target_id: int) -> dict[str, str]:
    with database.sessions() as session:
        return dict(
            session.execute(
                select(Delivery.key, Delivery.last_error).where(
                    Delivery.key.startswith(f"{target_id}:"),
                    Delivery.status == DeliveryStatus.DEAD,
                )
            ).all()
        )


def make_due(database: Database, target_id: int) -> None:
    """An admin's "try now": the target's waiting deliveries are due at once."""
    from sync.hr_delivery import resume_target

    with database.transaction() as session:
        resume_target(session, session.get(SyncTarget, target_id))


def expected_record_ids(event_ids: list[int], target_id: int, competences=("1.1", "2.4")):
    return Counter(
        f"{delivery_key(target_id, event_id)}/{competence}"
        for event_id in event_ids
        for competence in competences
    )
