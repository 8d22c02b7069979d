"""What a person's data export says in words: who they are in the tool, their assessments
with dates and levels, their plans, what they chose to share, what was sent where.

The export's first file is a document for the person (lti_tool.export_summary renders
it in their language); the raw files beside it are storage.personal_export's.  This
module only gathers the facts, as names and numbers, never as table names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competence.maturity import MATURITY_INSTRUMENT
from competence.texts import Text
from storage.attempts import Attempt, AttemptStatus, InstrumentVersion, load_instrument
from storage.audit import AuditEvent
from storage.courses import Context
from storage.launches import Launch
from storage.organisations import Organisation
from storage.personal_data import Subject
from storage.personal_erasure import ExternalHolder, external_holders
from storage.plans import DevelopmentPlan, PlanItemCompletion, PlanVersion
from storage.staff import Employee, Grant, current_employment


@dataclass(frozen=True)
class CompetenceLevel:
    name: Text
    level: int | None
    level_name: Text | None


@dataclass(frozen=True)
class AssessmentFacts:
    instrument_name: Text
    survey: bool  # the yearly workplace survey, reported only per unit
    started_at: datetime
    submitted_at: datetime | None
    submitted: bool
    overall_level: int | None
    overall_name: Text | None
    max_level: int
    levels: list[CompetenceLevel]
    shared_with_manager: bool


@dataclass(frozen=True)
class PlanFacts:
    period: str
    versions: int
    latest_at: datetime | None
    employee_agreed_at: datetime | None
    manager_agreed_at: datetime | None
    targets: int
    items: int
    done: int


@dataclass
class SummaryFacts:
    organisation_name: str
    name: str | None = None
    email: str | None = None
    employee_number: str | None = None
    unit: str | None = None
    role_title: str | None = None
    manager: str | None = None
    language: str | None = None  # of their latest launch
    launches: int = 0
    first_launch: datetime | None = None
    last_launch: datetime | None = None
    courses: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    assessments: list[AssessmentFacts] = field(default_factory=list)
    plans: list[PlanFacts] = field(default_factory=list)
    holders: list[ExternalHolder] = field(default_factory=list)
    statements: int = 0
    seen_by_others: int = 0


def summary_facts(session: Session, subject: Subject) -> SummaryFacts:
    organisation = session.get(Organisation, subject.organisation_id)
    facts = SummaryFacts(organisation_name=organisation.name if organisation else "")
    person = subject.person
    if person is not None:
        facts.name = person.display_name
        facts.email = person.email
        _launches(session, person.id, facts)
        facts.seen_by_others = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_person_id == person.id,
                AuditEvent.actor_person_id != person.id,
            )
        )
    _employee(session, subject.employees, facts)
    holders = (Grant.person_id == person.id) if person is not None else None
    if subject.employee_ids:
        by_employee = Grant.employee_id.in_(subject.employee_ids)
        holders = by_employee if holders is None else (holders | by_employee)
    if holders is not None:
        facts.roles = sorted(set(session.scalars(select(Grant.role).where(holders))))
    facts.assessments = _assessments(session, subject.attempt_ids)
    facts.plans = _plans(session, subject.plan_ids)
    facts.holders = external_holders(session, subject)
    facts.statements = len(subject.statement_ids)
    return facts


def _launches(session: Session, person_id: int, facts: SummaryFacts) -> None:
    rows = session.execute(
        select(Launch.created_at, Launch.locale, Context.title, Context.label)
        .outerjoin(Context, Context.id == Launch.context_id)
        .where(Launch.person_id == person_id)
        .order_by(Launch.created_at)
    ).all()
    facts.launches = len(rows)
    if rows:
        facts.first_launch, facts.last_launch = rows[0].created_at, rows[-1].created_at
        facts.language = rows[-1].locale
    facts.courses = list(
        dict.fromkeys(row.title or row.label for row in rows if row.title or row.label)
    )


def _employee(session: Session, employees: list[Employee], facts: SummaryFacts) -> None:
    for employee in employees:
        facts.employee_number = employee.employee_number
        facts.name = facts.name or employee.name
        facts.email = facts.email or employee.email
        employment = current_employment(session, employee.id)
        if employment is not None:
            facts.unit = employment.unit.name if employment.unit else None
            facts.role_title = employment.role_title
            facts.manager = employment.manager.name if employment.manager else None


def _assessments(session: Session, attempt_ids: list[str]) -> list[AssessmentFacts]:
    if not attempt_ids:
        return []
    attempts = session.scalars(
        select(Attempt).where(Attempt.id.in_(attempt_ids)).order_by(Attempt.started_at)
    ).all()
    keys = dict(
        session.execute(
            select(InstrumentVersion.id, InstrumentVersion.key).where(
                InstrumentVersion.id.in_({attempt.instrument_id for attempt in attempts})
            )
        ).all()
    )
    loaded = {row_id: load_instrument(session, row_id) for row_id in keys}
    found = []
    for attempt in attempts:
        instrument = loaded[attempt.instrument_id]
        scale = instrument.framework.scale
        competences = (attempt.result or {}).get("competences", {})
        submitted = attempt.status is AttemptStatus.SUBMITTED
        levels = []
        if submitted:
            for competence in instrument.framework.competences:
                level = competences.get(competence.id, {}).get("level")
                named = scale.level(level) if level else None
                levels.append(
                    CompetenceLevel(competence.name, level, named.name if named else None)
                )
        overall = scale.level(attempt.overall_level) if attempt.overall_level else None
        found.append(
            AssessmentFacts(
                instrument_name=instrument.instrument.name,
                survey=keys[attempt.instrument_id] == MATURITY_INSTRUMENT,
                started_at=attempt.started_at,
                submitted_at=attempt.submitted_at,
                submitted=submitted,
                overall_level=attempt.overall_level if submitted else None,
                overall_name=overall.name if overall and submitted else None,
                max_level=scale.max_level,
                levels=levels,
                shared_with_manager=bool(attempt.shared_with_manager),
            )
        )
    return found


def _plans(session: Session, plan_ids: list[int]) -> list[PlanFacts]:
    found = []
    for plan in session.scalars(
        select(DevelopmentPlan)
        .where(DevelopmentPlan.id.in_(plan_ids))
        .order_by(DevelopmentPlan.period)
    ):
        versions = session.scalars(
            select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.number)
        ).all()
        agreed = [v for v in versions if v.employee_agreed_at and v.manager_agreed_at]
        shown = agreed[-1] if agreed else (versions[-1] if versions else None)
        done = session.scalar(
            select(func.count())
            .select_from(PlanItemCompletion)
            .where(PlanItemCompletion.plan_id == plan.id)
        )
        found.append(
            PlanFacts(
                period=plan.period,
                versions=len(versions),
                latest_at=versions[-1].created_at if versions else None,
                employee_agreed_at=shown.employee_agreed_at if shown else None,
                manager_agreed_at=shown.manager_agreed_at if shown else None,
                targets=len(shown.targets or {}) if shown else 0,
                items=len(shown.items or []) if shown else 0,
                done=done,
            )
        )
    return found
