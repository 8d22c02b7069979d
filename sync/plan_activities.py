"""The learning activities people have agreed to do: the latest agreed version of each plan.

Both completion polls (Moodle, an external LRS) ask only about these, and an
event that completes one carries its plan and item key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.catalogue import LearningActivity
from storage.people import Person
from storage.plans import DevelopmentPlan, PlanVersion
from storage.staff import Employee


@dataclass(frozen=True)
class AgreedActivity:
    person: Person
    employee: Employee
    plan_id: int
    item_key: str
    activity: LearningActivity


def agreed_activities(session: Session, organisation_id: int) -> list[AgreedActivity]:
    """Every activity item of every plan's latest agreed version, for people who launched."""
    found = []
    plans = session.scalars(
        select(DevelopmentPlan).where(DevelopmentPlan.organisation_id == organisation_id)
    )
    for plan in plans:
        agreed = session.scalar(
            select(PlanVersion)
            .where(
                PlanVersion.plan_id == plan.id,
                PlanVersion.employee_agreed_at.is_not(None),
                PlanVersion.manager_agreed_at.is_not(None),
            )
            .order_by(PlanVersion.number.desc())
            .limit(1)
        )
        employee = session.get(Employee, plan.employee_id)
        person = session.get(Person, employee.person_id) if employee.person_id else None
        if agreed is None or person is None:
            continue
        for item in agreed.items or []:
            activity = session.get(LearningActivity, item.get("activity_id") or 0)
            if activity is not None:
                found.append(AgreedActivity(person, employee, plan.id, str(item["key"]), activity))
    return found


def levels_built(activity: LearningActivity) -> dict[str, int]:
    """{competence: level} the activity takes a person to: what a completion of it reached."""
    return {str(b["competence"]): int(b["to_level"]) for b in activity.builds or []}
