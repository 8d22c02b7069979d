"""The transactional outbox: every message to another system is a row first.

A delivery is written in the same transaction as the event that causes it (a
submitted attempt, a statement, a completion), so there is never an event
without its message nor a message without its event.  Workers claim due rows
under a lease, send them, and mark each delivered, retried later with backoff,
or dead with the remote system's reason.  One mechanism for every target: AGS
scores, xAPI statements, plans and HR records.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, JSONDocument, UTCDateTime, insert_new, one_of, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        # Enqueueing the same message twice (a retried request, a re-ingested event) is a no-op.
        UniqueConstraint("target", "key"),
        # Claims walk this in order and stop at their limit (oldest due first), instead of
        # sorting every pending row: 90 ms → 0.4 ms a claim with 100,000 waiting.
        Index("ix_deliveries_due", "status", "next_attempt_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    target: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    # Whose message it is, so an organisation's admins see only their own failures.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict] = mapped_column(JSONDocument)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(
            DeliveryStatus, name="delivery_status", values_callable=lambda e: [m.value for m in e]
        ),
        default=DeliveryStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeliveryFile(Base):
    """The file a delivery was written into (HR files), recorded before any byte is written.

    A row of its own rather than a field of the payload: naming 5,000 deliveries is one
    INSERT of narrow rows instead of rewriting 5,000 JSON payloads, which on PostgreSQL
    cost as much as the claim itself."""

    __tablename__ = "delivery_files"

    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    file_name: Mapped[str] = mapped_column(String(255), index=True)


def enqueue(
    session: Session, target: str, key: str, payload: dict, organisation_id: int | None = None
) -> bool:
    """Add a delivery to the caller's transaction; an existing (target, key) is left alone."""
    now = utcnow()
    return bool(
        insert_new(
            session,
            Delivery.__table__,
            [
                {
                    "id": str(uuid.uuid4()),
                    "target": target,
                    "key": key,
                    "payload": payload,
                    "organisation_id": organisation_id,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
            ],
        )
    )


def claim_due(
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int = 100,
    target: str | None = None,
    *,
    targets: Collection[str] | None = None,
    organisation_id: int | None = None,
) -> list[Delivery]:
    """Lease up to `limit` due deliveries to `owner`; commit to make the lease visible.

    `target`/`targets` limit the claim to those targets, `organisation_id` to one
    organisation's deliveries (a batch to one LRS).

    On PostgreSQL rows are locked with SKIP LOCKED so concurrent workers take
    different rows; a worker that dies leaves a lease that simply expires.
    """
    now = utcnow()
    query = (
        select(Delivery)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.next_attempt_at <= now,
            (Delivery.leased_until.is_(None)) | (Delivery.leased_until < now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.created_at)
        .limit(limit)
    )
    if target is not None:
        query = query.where(Delivery.target == target)
    if targets is not None:
        query = query.where(Delivery.target.in_(list(targets)))
    if organisation_id is not None:
        query = query.where(Delivery.organisation_id == organisation_id)
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.leased_until = now + lease
        row.lease_owner = owner
    session.flush()
    return rows


@dataclass(frozen=True)
class ClaimedDelivery:
    """A claimed delivery as plain data: what a batch sender reads, and all that
    mark_delivered/mark_all_delivered/mark_retry/mark_dead/release need (`id`)."""

    id: str
    target: str
    key: str
    payload: dict
    attempts: int


def claim_due_rows(
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int,
    *,
    targets: Collection[str],
) -> list[ClaimedDelivery]:
    """`claim_due` for large batches (thousands of rows): the same rows, the same lease,
    in one statement on PostgreSQL (a few on SQLite) instead of an ORM object and an
    UPDATE per row."""
    now = utcnow()
    table = Delivery.__table__
    columns = (table.c.id, table.c.target, table.c.key, table.c.payload, table.c.attempts)
    free = table.c.leased_until.is_(None) | (table.c.leased_until < now)
    due = (
        select(table.c.id)
        .where(
            table.c.status == DeliveryStatus.PENDING,
            table.c.next_attempt_at <= now,
            free,
            table.c.target.in_(list(targets)),
        )
        .order_by(table.c.next_attempt_at, table.c.created_at)
        .limit(limit)
    )
    taking = update(table).values(leased_until=now + lease, lease_owner=owner)
    if session.bind.dialect.name == "postgresql":
        # One statement: the due rows locked (skipping those another worker holds) and
        # leased, their contents returned oldest first (sorted by the server: converting
        # 5,000 pairs of timestamps to sort them here cost more than the sort).
        locked = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        order = (table.c.next_attempt_at, table.c.created_at)
        taken = taking.where(table.c.id == locked.c.id).returning(*columns, *order).cte("taken")
        rows = session.execute(
            select(*(taken.c[column.name] for column in columns)).order_by(
                taken.c.next_attempt_at, taken.c.created_at
            )
        ).all()
    else:
        # SQLite: one writer at a time; the lease is taken by a conditional UPDATE, so a row
        # another worker leased in between is not taken twice.
        ids = list(session.scalars(due))
        rows = session.execute(
            taking.where(one_of(session, table.c.id, ids), free).returning(*columns)
        ).all()
        oldest_first = {id_: position for position, id_ in enumerate(ids)}
        rows.sort(key=lambda row: oldest_first[row.id])
    return [ClaimedDelivery(row.id, row.target, row.key, row.payload, row.attempts) for row in rows]


def mark_delivered(session: Session, delivery: Delivery, owner: str) -> bool:
    """Record success, unless the lease was lost to another worker meanwhile."""
    return _finish(session, delivery, owner, status=DeliveryStatus.DELIVERED, delivered_at=utcnow())


def mark_retry(
    session: Session, delivery: Delivery, owner: str, error: str, delay: timedelta
) -> bool:
    return _finish(
        session,
        delivery,
        owner,
        status=DeliveryStatus.PENDING,
        next_attempt_at=utcnow() + delay,
        last_error=error[:2000],
    )


def mark_dead(session: Session, delivery: Delivery, owner: str, error: str) -> bool:
    return _finish(session, delivery, owner, status=DeliveryStatus.DEAD, last_error=error[:2000])


def release(
    session: Session, deliveries: Collection[Delivery], owner: str, delay: timedelta
) -> int:
    """Give leased deliveries back untried, due again after `delay` (their target was
    unavailable, so the attempt says nothing about them and is not counted)."""
    if not deliveries:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            one_of(session, Delivery.id, [d.id for d in deliveries]),
            Delivery.lease_owner == owner,
        )
        .values(leased_until=None, lease_owner=None, next_attempt_at=utcnow() + delay)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def mark_all_delivered(session: Session, deliveries: Collection[Delivery], owner: str) -> int:
    """Record success for a batch in one statement; rows whose lease was lost are skipped."""
    if not deliveries:
        return 0
    result = session.execute(
        update(Delivery)
        .where(
            one_of(session, Delivery.id, [d.id for d in deliveries]),
            Delivery.lease_owner == owner,
        )
        .values(
            attempts=Delivery.attempts + 1,
            leased_until=None,
            lease_owner=None,
            status=DeliveryStatus.DELIVERED,
            delivered_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def due_now(session: Session, target: str, organisation_id: int) -> int:
    """Make an organisation's pending deliveries to `target` due at once (an admin's resume)."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.target == target,
            Delivery.organisation_id == organisation_id,
            Delivery.status == DeliveryStatus.PENDING,
        )
        .values(next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def revive(session: Session, delivery_id: str) -> bool:
    """An admin's retry of a dead delivery: it is due again at once."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == DeliveryStatus.DEAD)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=utcnow(), leased_until=None)
    )
    return result.rowcount == 1


def _finish(session: Session, delivery: Delivery, owner: str, **values) -> bool:
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.lease_owner == owner)
        .values(attempts=Delivery.attempts + 1, leased_until=None, lease_owner=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def delivery_counts(
    session: Session, organisation_id: int | None = None
) -> dict[tuple[str, DeliveryStatus], int]:
    """How many deliveries per target and status (one organisation's, or all)."""
    query = select(Delivery.target, Delivery.status, func.count()).group_by(
        Delivery.target, Delivery.status
    )
    if organisation_id is not None:
        query = query.where(Delivery.organisation_id == organisation_id)
    return {(target, status): count for target, status, count in session.execute(query)}


def dead_deliveries(
    session: Session, organisation_id: int | None = None, limit: int = 200
) -> list[Delivery]:
    query = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.DEAD)
        .order_by(Delivery.created_at.desc())
        .limit(limit)
    )
    if organisation_id is not None:
        query = query.where(Delivery.organisation_id == organisation_id)
    return list(session.scalars(query))


def retry_dead_delivery(session: Session, delivery_id: str) -> bool:
    """`revive`, committed: an admin's "Try again" on a delivery that failed for good."""
    revived = revive(session, delivery_id)
    if revived:
        session.commit()
    return revived
