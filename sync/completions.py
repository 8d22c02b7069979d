"""Completions in, and the tool's own plans out.

An assessment submitted here becomes a `CompletionEvent` in its submit transaction
(actions.attempts.record_submitted_attempt; storage.completions.record_completion queues
its deliveries in the same transaction).  When the event completes an item of the
person's agreed plan, a `plan.item` delivery marks the item done (once) and writes its
xAPI statement (actions.plan_items.complete_plan_item, as when the employee ticks it
off); that runs in the dispatcher's transaction together with marking the delivery
delivered, so a killed scheduler leaves either all of it or none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.plan_items import complete_plan_item
from outbound.delivery import DeliveryFailed
from storage.completions import (
    PLAN_ITEM,
    CompletionEvent,
    SyncTarget,
    queue_for_target,
    undelivered_events,
)
from storage.launches import Launch
from storage.plans import DevelopmentPlan


class PlanItemSender:
    """The `plan.item` sender: the matching item of the tool's own plan marked done."""

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url

    def __call__(self, session: Session, payload: dict) -> None:
        event = session.get(CompletionEvent, payload.get("completion_event_id"))
        if event is None or event.plan_id is None or not event.plan_item_key:
            raise DeliveryFailed("the completion event or its plan item is gone", retryable=False)
        plan = session.get(DevelopmentPlan, event.plan_id)
        if plan is None:
            raise DeliveryFailed(f"plan {event.plan_id} no longer exists", retryable=False)
        evidence = {"completion_event_id": event.id, "source": event.source, **event.evidence}
        # Once: an item already done (by hand, or by another event) records nothing more.
        complete_plan_item(
            session,
            plan,
            event.plan_item_key,
            source=event.source,
            evidence=evidence,
            launch=self._latest_launch(session, plan),  # never launched: no statement
            public_url=self.public_url,
            title=str(event.evidence.get("title") or event.plan_item_key),
        )

    @staticmethod
    def _latest_launch(session: Session, plan: DevelopmentPlan) -> Launch | None:
        person_id = plan.employee.person_id if plan.employee else None
        if person_id is None:
            return None
        return session.scalar(
            select(Launch)
            .where(Launch.person_id == person_id)
            .order_by(Launch.created_at.desc())
            .limit(1)
        )


def own_senders(public_url: str) -> dict[str, Callable[[Session, dict], None]]:
    return {PLAN_ITEM: PlanItemSender(public_url)}


def backfill(
    session: Session, target: SyncTarget, progress: Callable[[Iterable[int]], Iterable[int]]
) -> int:
    """Queue every event of the target's organisation not yet queued for it; how many.

    Commits every 500 events so a large backfill neither holds one long transaction
    nor loses its progress when stopped (running it again continues)."""
    queued = 0
    chunk: list[int] = []
    for event_id in progress(undelivered_events(session, target)):
        chunk.append(event_id)
        if len(chunk) == 500:
            queued += queue_for_target(session, target, chunk)
            session.commit()
            chunk = []
    queued += queue_for_target(session, target, chunk)
    session.commit()
    return queued
