"""The development dialogue's changes: a new version of the plan, a confirmation, a comment.

Each owns its transaction.  Who may make them (the employee or their manager) is the
page's check; what the form says is read by competence.plan_form.  An item ticked off
as done is actions.plan_items.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.plans import (
    DevelopmentPlan,
    PlanComment,
    PlanVersion,
    add_comment,
    confirm,
    current_period,
    latest_plan,
    plan_for_period,
    save_version,
)
from storage.staff import Employee


class NewerVersionSaved(Exception):
    """Only the newest version can be agreed; this one has been replaced."""


def save_plan_version(
    session: Session,
    employee: Employee,
    plan: DevelopmentPlan | None,
    *,
    targets: dict[str, int],
    items: list[dict],
    attempt_id: str | None,
    role_profile_key: str | None,
    by_person_id: int,
) -> PlanVersion:
    """A new version of the employee's plan (this year's plan when they have none yet).

    Nothing agreed is rewritten: the new version waits for both to confirm it."""
    plan = plan or plan_for_period(session, employee, current_period())
    version = save_version(
        session,
        plan,
        targets=targets,
        items=items,
        attempt_id=attempt_id,
        role_profile_key=role_profile_key,
        created_by_person_id=by_person_id,
    )
    session.commit()
    return version


def confirm_plan_version(
    session: Session, employee_id: int, number: int, *, as_employee: bool, person_id: int
) -> PlanVersion | None:
    """The employee's or the manager's "I agree" to version `number` of the latest plan.

    None when the plan has no such version; NewerVersionSaved when it is not the newest
    (a second tab, or the other side saved meanwhile).  Confirming twice keeps the first."""
    plan = latest_plan(session, employee_id)
    version = next((v for v in (plan.versions if plan else []) if v.number == number), None)
    if version is None:
        return None
    if version is not plan.versions[-1]:
        raise NewerVersionSaved(number)
    confirm(version, as_employee=as_employee, person_id=person_id)
    session.commit()
    return version


def comment_on_plan(session: Session, employee: Employee, person_id: int, text: str) -> PlanComment:
    """A comment on the employee's latest plan (this year's, started when there is none)."""
    plan = latest_plan(session, employee.id) or plan_for_period(session, employee, current_period())
    comment = add_comment(session, plan, person_id, text)
    session.commit()
    return comment
