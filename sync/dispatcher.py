"""The outbox worker: claim due deliveries, hand each to its target's sender, record the outcome.

Retries back off exponentially with jitter (or as long as the remote asked with
Retry-After); after MAX_ATTEMPTS, or on a failure retrying cannot fix, the
delivery is dead-lettered with the remote's reason, visible to admins.
"""

from __future__ import annotations

import logging
import random
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from outbound.delivery import DeliveryFailed
from storage import Database
from storage.outbox import claim_due, mark_dead, mark_delivered, mark_retry

log = logging.getLogger(__name__)

Sender = Callable[[Session, dict], None]
MAX_ATTEMPTS = 12
BASE_DELAY = 5.0  # seconds before the first retry
MAX_DELAY = 6 * 3600.0


@dataclass
class DeliveryCounts:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    by_target: dict[str, int] = field(default_factory=dict)


def backoff(attempts: int, retry_after: float | None = None, rng: random.Random = random) -> float:
    """Seconds before the next try: at least Retry-After, else 5 s doubling, ±50 % jitter."""
    if retry_after is not None:
        return min(MAX_DELAY, max(retry_after, 1.0))
    delay = min(MAX_DELAY, BASE_DELAY * (2 ** max(0, attempts - 1)))
    return delay * rng.uniform(0.5, 1.5)


def worker_name() -> str:
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


def deliver_due(
    database: Database,
    senders: Mapping[str, Sender],
    *,
    owner: str | None = None,
    batch: int = 100,
    lease: timedelta = timedelta(minutes=2),
) -> DeliveryCounts:
    owner = owner or worker_name()
    counts = DeliveryCounts()
    with database.sessions() as session:
        claimed = claim_due(session, owner, lease, limit=batch, targets=list(senders))
        session.commit()
        for delivery in claimed:
            sender = senders.get(delivery.target)
            attempts = delivery.attempts + 1
            try:
                if sender is None:
                    raise DeliveryFailed(f"no sender for {delivery.target}", retryable=False)
                sender(session, delivery.payload)
            except DeliveryFailed as failed:
                session.rollback()
                if failed.retryable and attempts < MAX_ATTEMPTS:
                    delay = timedelta(seconds=backoff(attempts, failed.retry_after))
                    mark_retry(session, delivery, owner, failed.reason, delay)
                    counts.retried += 1
                else:
                    mark_dead(session, delivery, owner, failed.reason)
                    counts.dead += 1
                    log.warning("delivery %s to %s dead: %s", delivery.id, delivery.target, failed)
            except Exception as error:  # a bug in a sender must not stop the others
                session.rollback()
                log.exception("delivery %s to %s crashed", delivery.id, delivery.target)
                mark_retry(
                    session,
                    delivery,
                    owner,
                    f"internal error: {error!r}",
                    timedelta(seconds=backoff(attempts)),
                )
                counts.retried += 1
            else:
                mark_delivered(session, delivery, owner)
                counts.delivered += 1
                counts.by_target[delivery.target] = counts.by_target.get(delivery.target, 0) + 1
            session.commit()
    return counts
