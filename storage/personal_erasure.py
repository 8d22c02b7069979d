"""A person's erasure (GDPR art. 17): their rows removed or irreversibly pseudonymised, as
storage.personal_data.TABLES decides, and what outside systems still hold listed first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from storage.attempts import Attempt
from storage.audit import AuditEvent
from storage.completions import TARGET_OF_KIND, CompletionEvent, SyncTarget
from storage.database import one_of
from storage.lrs import LrsEndpoint
from storage.organisations import PlatformRegistration
from storage.outbox import Delivery, DeliveryStatus
from storage.personal_data import (
    ERASED,
    TABLES,
    Erasure,
    Subject,
    rows_of,
    scrubbed_rows,
    searched_identifiers,
    table_named,
)
from storage.plans import DevelopmentPlan, PlanComment, PlanItemCompletion, PlanVersion
from storage.staff import Grant
from storage.statements import StatementApiCredential


@dataclass(frozen=True)
class ExternalHolder:
    """A system outside the tool that was sent some of the person's data."""

    kind: str  # "lrs" | "gradebook" | "moodle_plans" | "hr" | "platform" | "statement_api"
    name: str
    count: int


_KIND_OF_TARGET = {"moodle": "moodle_plans", "hr_rest": "hr", "hr_files": "hr"}


def external_holders(session: Session, subject: Subject) -> list[ExternalHolder]:
    """What cannot be erased from here: where the person's delivered rows went, the
    platforms they launched from, and Statement API clients that may have read their
    statements."""
    holders: list[ExternalHolder] = []
    delivered = (
        session.execute(
            select(Delivery.target, Delivery.key, Delivery.payload).where(
                one_of(session, Delivery.id, subject.delivery_ids),
                Delivery.status == DeliveryStatus.DELIVERED,
            )
        ).all()
        if subject.delivery_ids
        else []
    )
    counts: dict[tuple[str, str], int] = {}

    def count(kind: str, name: str) -> None:
        counts[(kind, name)] = counts.get((kind, name), 0) + 1

    lrs_names = dict(
        session.execute(
            select(LrsEndpoint.id, LrsEndpoint.endpoint).where(
                LrsEndpoint.organisation_id == subject.organisation_id
            )
        ).all()
    )
    targets = {
        target.id: target
        for target in session.scalars(
            select(SyncTarget).where(SyncTarget.organisation_id == subject.organisation_id)
        )
    }
    registrations = dict(
        session.execute(
            select(PlatformRegistration.id, PlatformRegistration.name).where(
                PlatformRegistration.organisation_id == subject.organisation_id
            )
        ).all()
    )
    for target, key, payload in delivered:
        if target == "xapi.statement":
            count("lrs", lrs_names.get(int(key.split(":", 1)[0])) or "LRS")
        elif target == "ags.score":
            registration = (payload or {}).get("registration_id")
            count("gradebook", registrations.get(registration) or "Moodle")
        elif target in TARGET_OF_KIND.values():
            # Keyed `<sync target id>:<event id>`; the key outlives the payload (retention).
            sync_target = targets.get(int(key.split(":", 1)[0]))
            if sync_target is not None:
                count(_KIND_OF_TARGET[sync_target.kind], sync_target.name or sync_target.kind)
    holders += [ExternalHolder(kind, name, number) for (kind, name), number in counts.items()]
    if subject.person is not None:
        platform = session.scalar(
            select(PlatformRegistration.name).where(
                PlatformRegistration.issuer == subject.person.issuer,
                PlatformRegistration.organisation_id == subject.organisation_id,
            )
        )
        holders.append(ExternalHolder("platform", platform or subject.person.issuer, 1))
    if subject.statement_ids:
        clients = session.scalars(
            select(StatementApiCredential.label).where(
                StatementApiCredential.organisation_id == subject.organisation_id
            )
        ).all()
        holders += [
            ExternalHolder("statement_api", label or "Statement API", len(subject.statement_ids))
            for label in clients
        ]
    return holders


def _replace(value, identifiers: list[str]):
    """`value` with every identifier in its strings replaced, through lists and dicts."""
    if isinstance(value, str):
        for identifier in identifiers:
            value = value.replace(identifier, ERASED)
        return value
    if isinstance(value, list):
        return [_replace(item, identifiers) for item in value]
    if isinstance(value, dict):
        return {
            _replace(key, identifiers): _replace(item, identifiers) for key, item in value.items()
        }
    return value


def _scrub(session: Session, table: Table, rows: list[dict], identifiers: list[str]) -> int:
    """Replace the identifiers in these rows' text and JSON columns; how many rows changed."""
    changed = 0
    keys = list(table.primary_key.columns)
    for row in rows:
        values = {
            column.name: _replace(row[column.name], identifiers)
            for column in table.columns
            if column.name in row and not column.primary_key and row[column.name] is not None
        }
        values = {name: value for name, value in values.items() if value != row[name]}
        if values:
            session.execute(
                update(table)
                .where(*(column == row[column.name] for column in keys))
                .values(**values)
            )
            changed += 1
    return changed


def new_reference() -> str:
    """An erasure's reference: random, so it says nothing about the person it replaced."""
    return uuid.uuid4().hex


def erase(session: Session, subject: Subject, reference: str) -> dict[str, int]:
    """Remove or pseudonymise the person's rows everywhere, in the caller's transaction.

    Returns how many rows each table lost or had changed.  Call `external_holders`
    first: it reads the delivered outbox rows erasure removes.
    """
    done: dict[str, int] = {}
    finders = rows_of(session, subject)
    identifiers = searched_identifiers(subject)

    def remove(name: str) -> None:
        result = session.execute(
            delete(table_named(name))
            .where(finders[name])
            .execution_options(synchronize_session=False)
        )
        done[name] = result.rowcount

    person_id = subject.person_id
    marker = f"erased:{reference}"
    for name in ("deliveries", "xapi_statement_refs", "xapi_statements", "remote_ids", "answers"):
        remove(name)
    # Others' plans the person confirmed or commented on as a manager keep their rows, with
    # any quote of the person's name replaced; the person's own plans go with all they hold.
    if person_id is not None:
        others = ~PlanComment.plan_id.in_(subject.plan_ids)
        comments = [
            dict(row)
            for row in session.execute(
                select(PlanComment.__table__).where(
                    PlanComment.author_person_id == person_id, others
                )
            ).mappings()
        ]
        done["plan_comments"] = _scrub(session, PlanComment.__table__, comments, identifiers)
    own_plans = DevelopmentPlan.id.in_(subject.plan_ids)
    for model, column in (
        (PlanItemCompletion, PlanItemCompletion.plan_id),
        (PlanComment, PlanComment.plan_id),
        (PlanVersion, PlanVersion.plan_id),
    ):
        result = session.execute(
            delete(model)
            .where(column.in_(subject.plan_ids))
            .execution_options(synchronize_session=False)
        )
        done[model.__tablename__] = done.get(model.__tablename__, 0) + result.rowcount
    session.execute(
        update(CompletionEvent)
        .where(CompletionEvent.plan_id.in_(subject.plan_ids))
        .values(plan_id=None)
        .execution_options(synchronize_session=False)
    )
    done["development_plans"] = session.execute(
        delete(DevelopmentPlan).where(own_plans).execution_options(synchronize_session=False)
    ).rowcount
    for event_id in subject.event_ids:
        session.execute(
            update(CompletionEvent)
            .where(CompletionEvent.id == event_id)
            .values(source_key=f"{marker}:{event_id}", evidence={})
        )
    done["completion_events"] = len(subject.event_ids)
    if person_id is not None:
        session.execute(
            update(Attempt)
            .where(Attempt.person_id == person_id)
            .values(launch_id=None)
            .execution_options(synchronize_session=False)
        )
        for name in ("memberships", "launches"):
            remove(name)
        done["grants"] = session.execute(delete(Grant).where(Grant.person_id == person_id)).rowcount
        done["audit_events"] = session.execute(
            update(AuditEvent)
            .where(AuditEvent.subject_person_id == person_id)
            .values(subject_person_id=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    if subject.employee_ids:
        done["grants"] = (
            done.get("grants", 0)
            + session.execute(
                delete(Grant).where(Grant.employee_id.in_(subject.employee_ids))
            ).rowcount
        )
    for number, employee in enumerate(subject.employees):
        employee.employee_number = f"{marker}:{number}"
        employee.name = ""
        employee.email = None
    done["employees"] = len(subject.employees)
    if subject.person is not None:
        person = subject.person
        person.subject = marker
        person.name = person.given_name = person.family_name = None
        person.email = person.person_sourcedid = None
        done["people"] = 1
    session.flush()
    for name, handling in TABLES.items():
        if handling.erasure is Erasure.SCRUB:
            done[name] = _scrub(
                session, table_named(name), scrubbed_rows(session, name, subject), identifiers
            )
    return {name: count for name, count in done.items() if count}
