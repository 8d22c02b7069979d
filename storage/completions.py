"""Completions in, and the systems they go out to.

Every completion the tool learns of (an assessment submitted here, a plan item
ticked off, a Moodle course or activity completed, a completed/passed
statement in an external LRS) becomes one `CompletionEvent`, unique per
organisation, source and source key, so ingesting the same thing twice is a
no-op.  Each event × each of the organisation's `SyncTarget`s is a delivery
row in the outbox (storage/outbox.py): retried with backoff, dead-lettered
with the remote's reason, retryable by an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from storage.database import Base, JSONDocument, UTCDateTime, utcnow
from storage.organisations import Organisation
from storage.outbox import Delivery, DeliveryStatus, enqueue

SOURCES = ("tool.attempt", "tool.plan_item", "moodle.course", "moodle.activity", "lrs")
TARGET_KINDS = ("moodle", "hr_rest", "hr_files")


class CompletionEvent(Base):
    __tablename__ = "completion_events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "source", "source_key"),
        Index("ix_completion_events_employee", "employee_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    source_key: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="SET NULL"))
    # What was completed: "assessment", "course", "activity" or "plan_item".
    kind: Mapped[str] = mapped_column(String(32))
    framework_key: Mapped[str | None] = mapped_column(String(100))
    # Competence levels reached: {"1.1": 3, ...} (an assessment), or the competences a
    # completed learning activity builds.
    levels: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # The plan item it completes, when known: development_plans.id and the item key.
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("development_plans.id", ondelete="SET NULL")
    )
    plan_item_key: Mapped[str | None] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Title, URL, score, the LRS statement id ...: what HR and Moodle get as evidence.
    evidence: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncTarget(Base):
    """A system an organisation's completions go to: its Moodle (learning plans), an HR
    REST API, or HR files (a folder or an SFTP server)."""

    __tablename__ = "sync_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # one of TARGET_KINDS
    name: Mapped[str] = mapped_column(String(255), default="")
    # Everything but secrets: URLs, folder, SFTP host and user, delimiter, auth mode, batch size.
    settings: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # The secret (token, client secret, API key, HMAC key, SFTP key or password), sealed with
    # storage.lrs.seal; or named in settings["secret_env"] and read from the environment.
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class RemoteId(Base):
    """What a remote system calls our things: Moodle's plan, competency or user id, say."""

    __tablename__ = "remote_ids"
    __table_args__ = (UniqueConstraint("sync_target_id", "kind", "local_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_target_id: Mapped[int] = mapped_column(ForeignKey("sync_targets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # "framework", "competency", "plan", "user"
    local_key: Mapped[str] = mapped_column(String(255))
    remote_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The outbox target string of each kind of SyncTarget (their senders live in sync/).
TARGET_OF_KIND = {"moodle": "moodle.competency", "hr_rest": "hr.rest", "hr_files": "hr.files"}
PLAN_ITEM = "plan.item"


def record_completion(
    session: Session,
    *,
    organisation_id: int,
    source: str,
    source_key: str,
    kind: str,
    completed_at: datetime,
    person_id: int | None = None,
    employee_id: int | None = None,
    framework_key: str | None = None,
    levels: dict | None = None,
    plan_id: int | None = None,
    plan_item_key: str | None = None,
    evidence: dict | None = None,
) -> int | None:
    """Record a completion and queue its deliveries, in the caller's transaction.

    Returns the new event's id; None when (organisation, source, source_key) was
    already there, in which case nothing changes (re-ingesting is a no-op) except
    this: an event first recorded without a plan item (a Moodle activity seen while
    polling its course) that now arrives naming one gets that item, once."""
    row = {
        "organisation_id": organisation_id,
        "source": source,
        "source_key": source_key[:255],
        "person_id": person_id,
        "employee_id": employee_id,
        "kind": kind,
        "framework_key": framework_key,
        "levels": levels or {},
        "plan_id": plan_id,
        "plan_item_key": plan_item_key,
        "completed_at": completed_at,
        "evidence": evidence or {},
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(CompletionEvent.__table__)
        .values([row])
        .on_conflict_do_nothing()
        .returning(CompletionEvent.__table__.c.id)
    )
    event_id = session.execute(statement).scalar()
    if event_id is None:
        if plan_id is not None and plan_item_key:
            _attach_plan_item(session, row)
        return None
    fan_out(session, event_id, organisation_id, plan_id=plan_id, source=source)
    return event_id


def _attach_plan_item(session: Session, row: dict) -> None:
    """Give a known event without a plan item the one it completes, and queue that item.

    A conditional UPDATE (only while the event has no item), so two pollers, or a poll
    seen twice, attach it and queue the item's delivery once."""
    table = CompletionEvent.__table__
    attached = session.execute(
        update(table)
        .where(
            table.c.organisation_id == row["organisation_id"],
            table.c.source == row["source"],
            table.c.source_key == row["source_key"],
            table.c.plan_item_key.is_(None),
        )
        .values(
            plan_id=row["plan_id"],
            plan_item_key=row["plan_item_key"],
            framework_key=row["framework_key"],
            levels=row["levels"],
            evidence=row["evidence"],
        )
        .returning(table.c.id)
    ).scalar()
    if attached is not None:
        fan_out(
            session,
            attached,
            row["organisation_id"],
            plan_id=row["plan_id"],
            source=row["source"],
            targets=[],
        )


def fan_out(
    session: Session,
    event_id: int,
    organisation_id: int,
    *,
    plan_id: int | None,
    source: str,
    targets: list[SyncTarget] | None = None,
) -> int:
    """One delivery per enabled target of the organisation (and the tool's own plan when
    the event completes a plan item it did not come from); how many were new."""
    if targets is None:
        targets = enabled_targets(session, organisation_id)
    queued = 0
    for target in targets:
        string = TARGET_OF_KIND.get(target.kind)
        if string is None:
            continue
        queued += enqueue(
            session,
            string,
            f"{target.id}:{event_id}",
            {"completion_event_id": event_id, "sync_target_id": target.id},
            organisation_id,
        )
    if plan_id is not None and source != "tool.plan_item":
        queued += enqueue(
            session,
            PLAN_ITEM,
            str(event_id),
            {"completion_event_id": event_id, "sync_target_id": None},
            organisation_id,
        )
    return queued


def enabled_targets(session: Session, organisation_id: int) -> list[SyncTarget]:
    return list(
        session.scalars(
            select(SyncTarget)
            .where(SyncTarget.organisation_id == organisation_id, SyncTarget.enabled.is_(True))
            .order_by(SyncTarget.id)
        )
    )


def undelivered_events(session: Session, target: SyncTarget) -> list[int]:
    """Ids of the organisation's events that have no delivery row to `target` yet."""
    string = TARGET_OF_KIND[target.kind]
    queued = {
        key.split(":", 1)[1]
        for key in session.scalars(
            select(Delivery.key).where(
                Delivery.target == string, Delivery.key.like(f"{target.id}:%")
            )
        )
    }
    return [
        event_id
        for event_id in session.scalars(
            select(CompletionEvent.id)
            .where(CompletionEvent.organisation_id == target.organisation_id)
            .order_by(CompletionEvent.id)
        )
        if str(event_id) not in queued
    ]


def queue_for_target(session: Session, target: SyncTarget, event_ids: list[int]) -> int:
    """The backfill: queue these events for one (newly configured) target."""
    string = TARGET_OF_KIND[target.kind]
    return sum(
        enqueue(
            session,
            string,
            f"{target.id}:{event_id}",
            {"completion_event_id": event_id, "sync_target_id": target.id},
            target.organisation_id,
        )
        for event_id in event_ids
    )


@dataclass(frozen=True)
class SyncTargetState:
    target: SyncTarget
    counts: dict[DeliveryStatus, int]
    # The reason of its latest delivery that failed for good: a later success elsewhere
    # clears `last_error`, but what failed still has to be seen.
    dead_reason: str | None = None


def sync_target_states(session: Session, organisation_id: int | None) -> list[SyncTargetState]:
    """Each sync target (one organisation's, or all) with its own queue: waiting,
    delivered, failed."""
    query = select(SyncTarget).options(selectinload(SyncTarget.organisation))
    if organisation_id is not None:
        query = query.where(SyncTarget.organisation_id == organisation_id)
    states = []
    for target in session.scalars(query.order_by(SyncTarget.id)):
        counts = session.execute(
            select(Delivery.status, func.count())
            .where(
                Delivery.target == TARGET_OF_KIND[target.kind],
                Delivery.key.startswith(f"{target.id}:"),
            )
            .group_by(Delivery.status)
        )
        counts = dict(counts.all())
        dead_reason = None
        if counts.get(DeliveryStatus.DEAD):
            dead_reason = session.scalar(
                select(Delivery.last_error)
                .where(
                    Delivery.target == TARGET_OF_KIND[target.kind],
                    Delivery.key.startswith(f"{target.id}:"),
                    Delivery.status == DeliveryStatus.DEAD,
                )
                .order_by(Delivery.created_at.desc())
                .limit(1)
            )
        states.append(SyncTargetState(target, counts, dead_reason))
    return states
