"""Forwarding stored statements to each organisation's LRS, in batches, none lost, none twice.

The statements wait in the outbox (target `xapi.statement`, one row per
statement and LRS).  Per LRS, a run claims a batch under a lease and POSTs it:

- stored (200/204): the batch is delivered;
- refused (400, 409, 413): the batch is halved until the statement the LRS
  refuses is alone; the rest is delivered, the refused one is dead-lettered
  with the LRS's reason (admins see it and can retry it).  A single statement
  refused with 409 is looked up: when the LRS already holds the same
  statement (an earlier send whose answer was lost), it counts as delivered;
- unavailable (no connection, timeout, 5xx, 429, credentials refused): the
  batch is given back untried and the LRS is paused, as long as it asked with
  Retry-After or else for a pause that doubles with each failure in a row.

A worker killed mid-batch leaves a lease that expires; the next run sends the
same statements again, and since their ids are the tool's own the LRS keeps
one copy of each.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Database
from storage.database import utcnow
from storage.lrs import (
    ClaimedStatement,
    CredentialsUnavailable,
    LrsEndpoint,
    claim_statements,
    credentials_of,
)
from storage.outbox import (
    Delivery,
    DeliveryStatus,
    due_now,
    mark_all_delivered,
    mark_dead,
    release,
)
from storage.statements import XapiStatement
from sync.dispatcher import backoff, worker_name
from xapi.lrs_client import LrsClient, LrsRejected, LrsTarget, LrsUnavailable, same_statement
from xapi.record import TARGET, queue_for_lrs

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 30 * 60  # a down LRS is tried again at least this often
MAX_BATCHES_PER_RUN = 50


@dataclass
class ForwardingCounts:
    delivered: int = 0
    dead: int = 0
    postponed: int = 0
    paused_lrs: list[int] = field(default_factory=list)


@dataclass
class _Outcome:
    delivered: list[ClaimedStatement] = field(default_factory=list)
    refused: list[tuple[ClaimedStatement, str]] = field(default_factory=list)
    untried: list[ClaimedStatement] = field(default_factory=list)
    unavailable: LrsUnavailable | None = None


def forward_statements(
    database: Database,
    client: LrsClient,
    secret_key: str,
    *,
    owner: str | None = None,
    lease: timedelta = timedelta(minutes=5),
    max_batches: int = MAX_BATCHES_PER_RUN,
) -> ForwardingCounts:
    """One run of the forwarding job: every enabled, unpaused LRS gets its due statements."""
    owner = owner or worker_name()
    counts = ForwardingCounts()
    with database.sessions() as session:
        now = utcnow()
        lrs_ids = list(
            session.scalars(
                select(LrsEndpoint.id).where(
                    LrsEndpoint.enabled.is_(True),
                    LrsEndpoint.paused_until.is_(None) | (LrsEndpoint.paused_until <= now),
                )
            )
        )
    for lrs_id in lrs_ids:
        _forward_to(database, client, secret_key, lrs_id, owner, lease, max_batches, counts)
    return counts


@dataclass
class _Batch:
    target: LrsTarget
    size: int  # the LRS's batch size: a smaller batch means nothing more is due
    claimed: list[ClaimedStatement]


def _forward_to(database, client, secret_key, lrs_id, owner, lease, max_batches, counts) -> None:
    """Batch after batch to one LRS.  While a batch is POSTed (in a thread: HTTP only, no
    database), the next one is claimed, so the LRS's time and the database's overlap."""
    following: _Batch | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lrs-{lrs_id}") as poster:
        for number in range(1, max_batches + 1):
            batch = following or _claim(database, secret_key, lrs_id, owner, lease, counts)
            following = None
            if batch is None or not batch.claimed:
                return
            sending = poster.submit(_send_claimed, client, batch.target, batch.claimed)
            more = len(batch.claimed) == batch.size and number < max_batches
            if more:
                # Credentials that cannot be read now are recorded by the next _claim.
                following = _claim(database, secret_key, lrs_id, owner, lease, counts, quiet=True)
            outcome = sending.result()
            prefetched = following.claimed if following is not None else []
            with database.sessions() as session:
                _settle(session, lrs_id, owner, outcome, prefetched, counts)
            if outcome.unavailable is not None or not more:
                return


def _claim(
    database: Database,
    secret_key: str,
    lrs_id: int,
    owner: str,
    lease: timedelta,
    counts: ForwardingCounts,
    quiet: bool = False,
) -> _Batch | None:
    """Lease the LRS's next batch; None when its credentials cannot be read (recorded as
    a failure of the LRS unless `quiet`)."""
    with database.sessions() as session:
        lrs = session.get(LrsEndpoint, lrs_id)
        try:
            target = LrsTarget(lrs.endpoint, credentials_of(lrs, secret_key), lrs.version)
        except CredentialsUnavailable as error:
            if not quiet:
                _record_unavailable(session, lrs, LrsUnavailable(str(error)), counts)
                session.commit()
            return None
        claimed = claim_statements(
            session,
            owner,
            lease,
            lrs.batch_size,
            target=TARGET,
            organisation_id=lrs.organisation_id,
        )
        session.commit()
        return _Batch(target, lrs.batch_size, claimed)


def _settle(
    session: Session,
    lrs_id: int,
    owner: str,
    outcome: _Outcome,
    prefetched: list[ClaimedStatement],
    counts: ForwardingCounts,
) -> None:
    """Record what the LRS said of a batch.  When it was unavailable, the batch claimed
    meanwhile is given back untried too, due when the pause ends."""
    counts.delivered += mark_all_delivered(session, outcome.delivered, owner)
    for delivery, reason in outcome.refused:
        if mark_dead(session, delivery, owner, reason):
            counts.dead += 1
            log.warning("LRS %s refused statement %s: %s", lrs_id, delivery.key, reason)
    lrs = session.get(LrsEndpoint, lrs_id)
    if outcome.unavailable is not None:
        pause = _record_unavailable(session, lrs, outcome.unavailable, counts)
        counts.postponed += release(session, outcome.untried + prefetched, owner, pause)
    elif outcome.delivered:
        lrs.consecutive_failures = 0
        lrs.paused_until = None
        lrs.last_success_at = utcnow()
    session.commit()


def _send_claimed(
    client: LrsClient, target: LrsTarget, claimed: list[ClaimedStatement]
) -> _Outcome:
    outcome = _Outcome()
    batch = []
    for delivery in claimed:
        if delivery.document is None:
            outcome.refused.append((delivery, "the statement was erased before it was sent"))
        else:
            batch.append(delivery)
    _send(client, target, batch, outcome)
    return outcome


def _send(
    client: LrsClient, target: LrsTarget, batch: list[ClaimedStatement], outcome: _Outcome
) -> None:
    """POST the batch; on a refusal, halve it until the refused statements stand alone."""
    if not batch:
        return
    if outcome.unavailable is not None:
        outcome.untried.extend(batch)
        return
    try:
        # The stored JSON texts, joined: a batch is never parsed and serialised again.
        client.post_documents(target, [delivery.document for delivery in batch])
    except LrsUnavailable as unavailable:
        outcome.unavailable = unavailable
        outcome.untried.extend(batch)
    except LrsRejected as rejected:
        if len(batch) > 1:
            middle = len(batch) // 2
            _send(client, target, batch[:middle], outcome)
            _send(client, target, batch[middle:], outcome)
        elif rejected.status == 409:
            _settle_conflict(client, target, batch[0], rejected, outcome)
        else:
            outcome.refused.append((batch[0], str(rejected)))
    else:
        outcome.delivered.extend(batch)


def _settle_conflict(
    client: LrsClient,
    target: LrsTarget,
    delivery: ClaimedStatement,
    rejected: LrsRejected,
    outcome: _Outcome,
) -> None:
    """409 for one statement: delivered if the LRS holds the same one, refused otherwise."""
    try:
        held = client.get_statement(target, delivery.statement_id)
    except LrsUnavailable as unavailable:
        outcome.unavailable = unavailable
        outcome.untried.append(delivery)
        return
    if held is not None and same_statement(json.loads(delivery.document), held):
        outcome.delivered.append(delivery)
    else:
        outcome.refused.append(
            (delivery, f"the LRS holds a different statement with this id ({rejected.reason})")
        )


def _record_unavailable(
    session: Session, lrs: LrsEndpoint, unavailable: LrsUnavailable, counts: ForwardingCounts
) -> timedelta:
    """Count the failure and pause the LRS: as long as it asked, or doubling per failure."""
    lrs.consecutive_failures += 1
    seconds = backoff(lrs.consecutive_failures, unavailable.retry_after)
    if unavailable.retry_after is None:
        seconds = min(seconds, MAX_PAUSE_SECONDS)
    pause = timedelta(seconds=seconds)
    lrs.paused_until = utcnow() + pause
    lrs.last_error = unavailable.reason[:2000]
    lrs.last_error_at = utcnow()
    counts.paused_lrs.append(lrs.id)
    log.warning(
        "LRS %s unavailable (%s failures in a row), paused for %.0f s: %s",
        lrs.id,
        lrs.consecutive_failures,
        seconds,
        unavailable.reason,
    )
    return pause


def resume(session: Session, lrs: LrsEndpoint) -> int:
    """An admin's "try now": lift the pause and make the LRS's waiting statements due."""
    lrs.paused_until = None
    lrs.consecutive_failures = 0
    return due_now(session, TARGET, lrs.organisation_id)


def backfill(session: Session, lrs: LrsEndpoint) -> int:
    """Queue every stored statement of the organisation that this LRS has not been sent."""
    queued = set(
        session.scalars(
            select(Delivery.key).where(
                Delivery.target == TARGET, Delivery.organisation_id == lrs.organisation_id
            )
        )
    )
    added = 0
    for statement_id in session.scalars(
        select(XapiStatement.id)
        .where(XapiStatement.organisation_id == lrs.organisation_id)
        .order_by(XapiStatement.stored, XapiStatement.id)
    ):
        if f"{lrs.id}:{statement_id}" not in queued:
            queue_for_lrs(session, statement_id, lrs.id, lrs.organisation_id)
            added += 1
    return added


def drop_waiting(session: Session, lrs: LrsEndpoint) -> int:
    """Forget what still waits for an LRS being removed (the statements stay stored)."""
    waiting = session.scalars(
        select(Delivery).where(
            Delivery.target == TARGET,
            Delivery.organisation_id == lrs.organisation_id,
            Delivery.status != DeliveryStatus.DELIVERED,
            Delivery.key.startswith(f"{lrs.id}:"),
        )
    ).all()
    for delivery in waiting:
        session.delete(delivery)
    return len(waiting)
