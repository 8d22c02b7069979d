"""Completions in, and the tool's own plans out.

An assessment submitted here becomes a `CompletionEvent` in its submit
transaction (storage.completions.record_completion queues its deliveries in the
same transaction).  When the event completes an item of the person's agreed
plan, a `plan.item` delivery marks the item done (once) and writes its xAPI
statement; that runs in the dispatcher's transaction together with marking the
delivery delivered, so a killed scheduler leaves either all of it or none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.instruments import Instrument
from competence.scoring import AssessmentResult
from outbound.delivery import DeliveryFailed
from storage import Attempt
from storage.completions import (
    PLAN_ITEM,
    CompletionEvent,
    SyncTarget,
    queue_for_target,
    record_completion,
    undelivered_events,
)
from storage.database import utcnow
from storage.launches import Launch
from storage.plans import DevelopmentPlan, complete_item, matching_plan_item
from storage.staff import Employee
from xapi import statements as xapi_statements
from xapi.record import record, where_of

ASSESSMENT_URL_PREFIX = "instrument:"


def record_submitted_attempt(
    session: Session,
    attempt: Attempt,
    organisation_id: int,
    instrument: Instrument,
    result: AssessmentResult,
) -> int | None:
    """The completion event of a submitted assessment: the competence levels reached."""
    employee_id = session.scalar(
        select(Employee.id).where(
            Employee.organisation_id == organisation_id, Employee.person_id == attempt.person_id
        )
    )
    matched = matching_plan_item(
        session, employee_id, {instrument.id, ASSESSMENT_URL_PREFIX + instrument.id}
    )
    return record_completion(
        session,
        organisation_id=organisation_id,
        source="tool.attempt",
        source_key=str(attempt.id),
        kind="assessment",
        completed_at=attempt.submitted_at or utcnow(),
        person_id=attempt.person_id,
        employee_id=employee_id,
        framework_key=instrument.framework_id,
        levels={key: c.level for key, c in result.competences.items()},
        plan_id=matched[0] if matched else None,
        plan_item_key=matched[1] if matched else None,
        evidence={
            "instrument": instrument.id,
            "attempt_id": str(attempt.id),
            "overall_level": result.overall_level,
        },
    )


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
        done = complete_item(
            session, plan.id, event.plan_item_key, source=event.source, evidence=evidence
        )
        if done is None:  # already done (by hand, or by another event): nothing more to say
            return
        launch = self._latest_launch(session, plan)
        if launch is None:  # never launched: no LTI identity to name in a statement
            return
        where = where_of(launch, self.public_url, launch.locale or "sv")
        title = event.evidence.get("title") or event.plan_item_key
        record(
            session,
            xapi_statements.plan_item_completed(
                where,
                plan_id=plan.id,
                item_key=event.plan_item_key,
                title=str(title),
                completed_at=done.completed_at,
            ),
            plan.organisation_id,
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
