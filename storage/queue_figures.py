"""What the operator watches, read from the database: queues, their ages, the jobs' last runs.

Read at scrape time (GET /metrics) rather than counted by the workers, so the figures are
the same whichever process is asked and survive restarts.  Each is one aggregate query;
no row's content (no payload, no person) leaves here, only counts, ages and ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from storage.completions import TARGET_OF_KIND, SyncTarget
from storage.jobs import JobRun
from storage.outbox import Delivery, DeliveryStatus


@dataclass(frozen=True)
class Queue:
    """Deliveries of one outbox target (or one sync target's share of it) in one status."""

    target: str
    status: str
    count: int
    oldest: datetime | None


@dataclass(frozen=True)
class SyncTargetQueue:
    sync_target_id: int
    organisation_id: int
    kind: str
    enabled: bool
    pending: int
    dead: int
    oldest_pending: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class LastRun:
    job_id: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None


_WAITING = (DeliveryStatus.PENDING, DeliveryStatus.DEAD)


def delivery_queues(connection: Connection) -> list[Queue]:
    """Pending and dead deliveries per outbox target, with the oldest one's creation time."""
    rows = connection.execute(
        select(Delivery.target, Delivery.status, func.count(), func.min(Delivery.created_at))
        .where(Delivery.status.in_(_WAITING))
        .group_by(Delivery.target, Delivery.status)
    )
    return [Queue(target, str(status), count, oldest) for target, status, count, oldest in rows]


def sync_target_queues(connection: Connection) -> list[SyncTargetQueue]:
    """Each sync target's deliveries (keyed "<target id>:<event>") and how it last went."""
    targets = connection.execute(
        select(
            SyncTarget.id,
            SyncTarget.organisation_id,
            SyncTarget.kind,
            SyncTarget.enabled,
            SyncTarget.last_success_at,
            SyncTarget.last_error_at,
        ).order_by(SyncTarget.id)
    ).all()
    queues = []
    for target_id, organisation_id, kind, enabled, success_at, error_at in targets:
        figures = {
            str(status): (count, oldest)
            for status, count, oldest in connection.execute(
                select(Delivery.status, func.count(), func.min(Delivery.created_at))
                .where(
                    Delivery.target == TARGET_OF_KIND.get(kind, kind),
                    Delivery.key.like(f"{target_id}:%"),
                    Delivery.status.in_(_WAITING),
                )
                .group_by(Delivery.status)
            )
        }
        pending, oldest = figures.get(DeliveryStatus.PENDING.value, (0, None))
        dead, _oldest_dead = figures.get(DeliveryStatus.DEAD.value, (0, None))
        queues.append(
            SyncTargetQueue(
                target_id,
                organisation_id,
                kind,
                enabled,
                pending,
                dead,
                oldest,
                success_at,
                error_at,
            )
        )
    return queues


def last_job_runs(connection: Connection) -> list[LastRun]:
    """The newest finished run of every job (job_runs keeps a few weeks of them)."""
    newest = (
        select(func.max(JobRun.id))
        .where(JobRun.finished_at.is_not(None))
        .group_by(JobRun.job_id)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(JobRun.job_id, JobRun.outcome, JobRun.started_at, JobRun.finished_at)
        .where(JobRun.id.in_(newest))
        .order_by(JobRun.job_id)
    )
    return [LastRun(*row) for row in rows]
