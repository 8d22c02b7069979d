"""The rows programme follow-up counts (competence.programme), fetched in a few bulk queries.

One query per kind of row for the whole organisation, so the programme page
costs the same five queries for 200 people as for 20,000, and the counting
stays in plain Python where its rules can be read and tested.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from competence.programme import (
    AttemptRow,
    EmployeeRow,
    EmploymentRow,
    OrganisationFacts,
    PlanAgreementRow,
)
from storage.assessments import Attempt, AttemptStatus, FrameworkVersion, InstrumentVersion
from storage.plans import DevelopmentPlan, PlanVersion
from storage.staff import Employee, Employment, SharedInstrument, Unit


def organisation_facts(
    session: Session, organisation_id: int, employee_ids: set[int] | None = None
) -> OrganisationFacts:
    """Everything the indicators need about one organisation (or only these employees)."""

    def only(column):
        return [] if employee_ids is None else [column.in_(employee_ids)]

    employees = [
        EmployeeRow(
            id=r.id,
            gender=r.gender,
            digital_role_model=bool(r.digital_role_model),
            active=bool(r.active),
            person_id=r.person_id,
        )
        for r in session.execute(
            select(
                Employee.id,
                Employee.gender,
                Employee.digital_role_model,
                Employee.active,
                Employee.person_id,
            ).where(Employee.organisation_id == organisation_id, *only(Employee.id))
        )
    ]
    employments = [
        EmploymentRow(
            r.employee_id, r.unit_id, r.manager_id, r.role_title, r.valid_from, r.valid_to
        )
        for r in session.execute(
            select(
                Employment.employee_id,
                Employment.unit_id,
                Employment.manager_id,
                Employment.role_title,
                Employment.valid_from,
                Employment.valid_to,
            )
            .join(Employee, Employee.id == Employment.employee_id)
            .where(Employee.organisation_id == organisation_id, *only(Employee.id))
        )
    ]
    attempts = [
        AttemptRow(
            employee_id=r.employee_id,
            instrument_key=r.key,
            started_at=r.started_at,
            submitted_at=r.submitted_at if r.status is AttemptStatus.SUBMITTED else None,
            overall_level=r.overall_level,
            result=r.result,
            framework_key=r.framework_key,
        )
        for r in session.execute(
            select(
                Employee.id.label("employee_id"),
                InstrumentVersion.key,
                FrameworkVersion.key.label("framework_key"),
                Attempt.started_at,
                Attempt.submitted_at,
                Attempt.status,
                Attempt.overall_level,
                Attempt.result,
            )
            .join(Employee, Employee.person_id == Attempt.person_id)
            .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
            .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
            .where(Employee.organisation_id == organisation_id, *only(Employee.id))
        )
    ]
    agreeing_manager = aliased(Employee)
    plans = [
        PlanAgreementRow(
            r.employee_id, r.manager_employee_id, r.employee_agreed_at, r.manager_agreed_at
        )
        for r in session.execute(
            select(
                DevelopmentPlan.employee_id,
                agreeing_manager.id.label("manager_employee_id"),
                PlanVersion.employee_agreed_at,
                PlanVersion.manager_agreed_at,
            )
            .join(PlanVersion, PlanVersion.plan_id == DevelopmentPlan.id)
            .outerjoin(
                agreeing_manager,
                (agreeing_manager.person_id == PlanVersion.manager_person_id)
                & (agreeing_manager.organisation_id == organisation_id),
            )
            .where(
                DevelopmentPlan.organisation_id == organisation_id,
                PlanVersion.employee_agreed_at.is_not(None),
                PlanVersion.manager_agreed_at.is_not(None),
            )
        )
    ]
    units = {
        unit_id: name
        for unit_id, name in session.execute(
            select(Unit.id, Unit.name).where(Unit.organisation_id == organisation_id)
        )
    }
    return OrganisationFacts(employees, employments, attempts, plans, units)


def shared_instrument_keys(session: Session, organisation_id: int) -> set[str]:
    return set(
        session.scalars(
            select(SharedInstrument.instrument_key).where(
                SharedInstrument.organisation_id == organisation_id
            )
        )
    )


def framework_documents(session: Session, keys: set[str], organisation_id: int) -> dict[str, dict]:
    """The newest stored document of each framework key (the organisation's own, else shipped)."""
    documents: dict[str, dict] = {}
    rows = session.execute(
        select(FrameworkVersion.key, FrameworkVersion.document, FrameworkVersion.organisation_id)
        .where(FrameworkVersion.key.in_(keys))
        .where(
            (FrameworkVersion.organisation_id == organisation_id)
            | FrameworkVersion.organisation_id.is_(None)
        )
        .order_by(FrameworkVersion.created_at, FrameworkVersion.id)
    )
    for key, document, owner in rows:
        if owner is not None or key not in documents:
            documents[key] = document
    return documents
