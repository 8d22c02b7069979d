"""What the manager's team overview shows, gathered in a few queries for the whole team.

Results go through `storage.result_sharing.team_results`, the one rule: the manager sees a
person's result only when it was shared with them; a person with submitted results of
which none is shared is marked `not_shared`, so the page can say so plainly.  The rules of
follow-up, sorting and filtering are the domain's (competence.team_overview).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from competence.periods import utc
from competence.team_overview import (
    NO_PLAN,
    LatestResult,
    OverviewRow,
    follow_up_reason,
    plan_status,
)
from storage.attempts import IN_PROGRESS, NOT_STARTED, Attempt, AttemptStatus, instrument_states
from storage.plans import DevelopmentPlan, PlanItemCompletion, PlanVersion
from storage.result_sharing import shared_instrument_keys, team_results
from storage.staff import team_members


def team_overview(
    session: Session, organisation_id: int, employee_ids: Collection[int], today: date
) -> list[OverviewRow]:
    """One row per active member of the team, by name."""
    team = team_members(session, organisation_id, employee_ids)
    ids = [employee.id for employee, _ in team]
    person_ids = [employee.person_id for employee, _ in team if employee.person_id]
    shared_keys = sorted(shared_instrument_keys(session, organisation_id))
    states = instrument_states(session, person_ids, shared_keys)
    latest: dict[int, LatestResult] = {}
    for row in team_results(session, organisation_id, ids):
        if row.overall_level is None or row.submitted_at is None:
            continue
        known = latest.get(row.employee_id)
        if known is None or utc(row.submitted_at) > utc(known.submitted_at):
            latest[row.employee_id] = LatestResult(
                row.instrument_key, row.framework_key, row.submitted_at, row.overall_level
            )
    submitted = _submitted_counts(session, person_ids)
    plans = _plans_by_employee(session, ids)
    done = _done_keys(session, [plan.id for found in plans.values() for plan in found])
    rows = []
    for employee, employment in team:
        employee_plans = plans.get(employee.id, [])
        newest_plan = employee_plans[0] if employee_plans else None
        newest = newest_plan.versions[-1] if newest_plan and newest_plan.versions else None
        agreed = _newest_agreed(newest_plan)
        last_dialogue = _last_dialogue(employee_plans)
        person_states = {
            key: states.get((employee.person_id, key), NOT_STARTED) for key in shared_keys
        }
        items = agreed.items if agreed else []
        plan_done = done.get(newest_plan.id, set()) if newest_plan else set()
        status = (
            plan_status(newest.employee_agreed_at is not None, newest.manager_agreed_at is not None)
            if newest
            else NO_PLAN
        )
        rows.append(
            OverviewRow(
                employee_id=employee.id,
                employee_number=employee.employee_number,
                name=employee.name,
                unit=employment.unit.name if employment and employment.unit else None,
                role=employment.role_title if employment else None,
                latest=latest.get(employee.id),
                not_shared=employee.id not in latest and submitted.get(employee.person_id, 0) > 0,
                in_progress=IN_PROGRESS in person_states.values(),
                states=person_states,
                plan_status=status,
                agreed_on=_agreed_at(agreed) if agreed else None,
                items_done=sum(1 for item in items if item.get("key") in plan_done),
                items_planned=len(items),
                last_dialogue=last_dialogue,
                follow_up=follow_up_reason(newest is not None, last_dialogue, today),
            )
        )
    return rows


def _submitted_counts(session: Session, person_ids: list[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    return dict(
        session.execute(
            select(Attempt.person_id, func.count(Attempt.id))
            .where(
                Attempt.person_id.in_(person_ids),
                Attempt.status == AttemptStatus.SUBMITTED,
                Attempt.overall_level.is_not(None),
            )
            .group_by(Attempt.person_id)
        ).all()
    )


def _plans_by_employee(session: Session, ids: list[int]) -> dict[int, list[DevelopmentPlan]]:
    """Each employee's plans, newest period first (as storage.plans.latest_plan orders)."""
    found: dict[int, list[DevelopmentPlan]] = {}
    if not ids:
        return found
    for plan in session.scalars(
        select(DevelopmentPlan)
        .where(DevelopmentPlan.employee_id.in_(ids))
        .options(selectinload(DevelopmentPlan.versions))
        .order_by(DevelopmentPlan.period.desc(), DevelopmentPlan.id.desc())
    ):
        found.setdefault(plan.employee_id, []).append(plan)
    return found


def _done_keys(session: Session, plan_ids: list[int]) -> dict[int, set[str]]:
    done: dict[int, set[str]] = {}
    if not plan_ids:
        return done
    for plan_id, key in session.execute(
        select(PlanItemCompletion.plan_id, PlanItemCompletion.item_key).where(
            PlanItemCompletion.plan_id.in_(plan_ids)
        )
    ):
        done.setdefault(plan_id, set()).add(key)
    return done


def _newest_agreed(plan: DevelopmentPlan | None) -> PlanVersion | None:
    if plan is None:
        return None
    return next((v for v in reversed(plan.versions) if v.agreed), None)


def _agreed_at(version: PlanVersion) -> datetime:
    return max(utc(version.employee_agreed_at), utc(version.manager_agreed_at))


def _last_dialogue(plans: list[DevelopmentPlan]) -> datetime | None:
    """When the person last had their dialogue: the newest agreement of any of their plans;
    without one, the newest version saved (a plan made but not yet agreed)."""
    versions = [version for plan in plans for version in plan.versions]
    agreed = [_agreed_at(version) for version in versions if version.agreed]
    if agreed:
        return max(agreed)
    saved = [utc(version.created_at) for version in versions if version.created_at]
    return max(saved) if saved else None
