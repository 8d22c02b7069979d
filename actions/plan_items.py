"""An item of an agreed development plan done: once, with its completion event and its
xAPI statement.

Two entry points reach it: the employee ticking the item off on `/my/plan`
(`tick_off_item`, which owns its transaction), and the scheduler's `plan.item` delivery
when a completion elsewhere (a Moodle course, an assessment) matches the item
(`sync.completions.PlanItemSender`, inside the dispatcher's transaction, so a killed
scheduler leaves the item done, its statement and the delivery marked delivered, or
none of them).  Both call `complete_plan_item`, so the rule is written once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.catalogue import visible_activity
from storage.launches import Launch
from storage.plans import (
    DevelopmentPlan,
    PlanItemCompletion,
    complete_item,
    latest_agreed,
    latest_plan,
)
from xapi import statements as xapi_statements
from xapi.record import record, where_of

# The language of a statement made for someone not at their screen (a scheduler job)
# whose launch did not say one.
DEFAULT_LANGUAGE = "sv"


class NotInAgreedPlan(LookupError):
    """The item is not in the employee's latest agreed plan (or there is none)."""


def complete_plan_item(
    session: Session,
    plan: DevelopmentPlan,
    item_key: str,
    *,
    source: str,
    launch: Launch | None,
    public_url: str,
    language: str | None = None,
    title: str | None = None,
    evidence: dict | None = None,
) -> PlanItemCompletion | None:
    """Mark the item done in the caller's transaction; None when it already was.

    The first time, also its completion event (storage.plans.complete_item) and
    the `completed` statement named by `launch`'s person (no launch: no LTI identity to
    name, so no statement).  `language` is the statement's, else the launch's, else
    Swedish; `title` the item's name in it, else its goal or learning activity."""
    done = complete_item(session, plan.id, item_key, source=source, evidence=evidence)
    if done is None or launch is None:
        return done
    where = where_of(launch, public_url, language or launch.locale or DEFAULT_LANGUAGE)
    record(
        session,
        xapi_statements.plan_item_completed(
            where,
            plan_id=plan.id,
            item_key=item_key,
            title=title if title is not None else item_title(session, plan, item_key),
            completed_at=done.completed_at,
        ),
        plan.organisation_id,
    )
    return done


def item_title(session: Session, plan: DevelopmentPlan, item_key: str) -> str:
    """An item's name: its own goal, else its learning activity's title, else its key."""
    agreed = latest_agreed(plan)
    item = next((i for i in (agreed.items if agreed else []) if i.get("key") == item_key), {})
    if item.get("goal"):
        return item["goal"]
    activity = visible_activity(session, plan.organisation_id, item.get("activity_id") or 0)
    return activity.title if activity else item_key


def tick_off_item(
    session: Session,
    employee_id: int,
    item_key: str,
    *,
    launch: Launch,
    public_url: str,
    language: str,
) -> PlanItemCompletion | None:
    """The employee ticks off an item of their latest agreed plan, and it is committed.

    None when it was done already (ticking twice records nothing more);
    NotInAgreedPlan when the item is not in that plan."""
    plan = latest_plan(session, employee_id)
    agreed = latest_agreed(plan)
    if not any(item.get("key") == item_key for item in (agreed.items if agreed else [])):
        session.rollback()
        raise NotInAgreedPlan(item_key)
    done = complete_plan_item(
        session,
        plan,
        item_key,
        source="employee",
        launch=launch,
        public_url=public_url,
        language=language,
    )
    session.commit()
    return done
