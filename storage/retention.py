"""Retention: what the tool stops keeping once it has served its purpose.

Each period is in days; 0 keeps that kind of row for good.  What goes:

- raw answers of submitted attempts (the attempt keeps its computed levels and score,
  which results, plans and the programme's reports read);
- launches (each launch keeps the platform's claims: names, e-mail, roles);
- login nonces, long after they expired;
- the payload and error text of delivered outbox rows (the row itself stays, so the
  same message is never queued and sent twice);
- audit events.

The nightly `retention` job (sync.scheduler) applies the configured periods; job runs
have their own nightly clean-up (storage.jobs.forget_old_runs) with its own period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import Session

from storage.attempts import Answer, Attempt, AttemptStatus
from storage.audit import AuditEvent
from storage.launches import Launch, LoginNonce
from storage.outbox import Delivery, DeliveryStatus


@dataclass(frozen=True)
class RetentionPeriods:
    answers_days: int = 365
    launches_days: int = 365
    login_nonces_days: int = 1
    delivered_days: int = 90
    audit_days: int = 730


def apply_retention(session: Session, periods: RetentionPeriods, now: datetime) -> dict[str, int]:
    """Remove what is older than its period, in the caller's transaction; how many of each."""

    def before(days: int) -> datetime | None:
        return now - timedelta(days=days) if days > 0 else None

    done: dict[str, int] = {}

    def run(name: str, days: int, statement) -> None:
        cutoff = before(days)
        if cutoff is not None:
            result = session.execute(statement(cutoff).execution_options(synchronize_session=False))
            done[name] = result.rowcount

    run(
        "answers",
        periods.answers_days,
        lambda cutoff: delete(Answer).where(
            Answer.attempt_id.in_(
                select(Attempt.id).where(
                    Attempt.status == AttemptStatus.SUBMITTED, Attempt.submitted_at < cutoff
                )
            )
        ),
    )
    run(
        "launches",
        periods.launches_days,
        lambda cutoff: delete(Launch).where(Launch.created_at < cutoff),
    )
    run(
        "login_nonces",
        periods.login_nonces_days,
        lambda cutoff: delete(LoginNonce).where(LoginNonce.expires_at < cutoff),
    )
    run(
        "delivered",
        periods.delivered_days,
        lambda cutoff: (
            update(Delivery)
            .where(
                Delivery.status == DeliveryStatus.DELIVERED,
                Delivery.delivered_at < cutoff,
                cast(Delivery.payload, Text) != "{}",  # not stripped yet
            )
            .values(payload={}, last_error=None)
        ),
    )
    run(
        "audit_events",
        periods.audit_days,
        lambda cutoff: delete(AuditEvent).where(AuditEvent.at < cutoff),
    )
    return done
