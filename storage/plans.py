"""Individual development plans: what employee and manager agreed in their dialogue.

A plan belongs to an employee and keeps every version: each change is a new
`PlanVersion`, and a version is agreed when both have confirmed it (who and
when).  Items are the agreed learning activities and own goals; their
completion is recorded as it happens (a course finished in Moodle, a goal
ticked off), which the sync service and xAPI report on.

A saved change is always a new version (nothing agreed is ever rewritten); a
version is agreed once the employee and a manager have both confirmed it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from competence.frameworks import Framework, digcomp
from storage.attempts import Attempt, load_instrument
from storage.catalogue import LearningActivity
from storage.completions import record_completion
from storage.database import Base, JSONDocument, UTCDateTime, insert_new, utcnow
from storage.people import Person
from storage.staff import Employee


class DevelopmentPlan(Base):
    __tablename__ = "development_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
    # The period the plan is for (the yearly dialogue), e.g. "2026".
    period: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship()
    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", order_by="PlanVersion.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[PlanComment]] = relationship(
        order_by="PlanComment.created_at", cascade="all, delete-orphan"
    )


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # The assessment the dialogue looked at, and the role profile it compared with.
    attempt_id: Mapped[str | None] = mapped_column(ForeignKey("attempts.id", ondelete="SET NULL"))
    role_profile_key: Mapped[str | None] = mapped_column(String(100))
    # {"1.1": 4, ...}: the agreed target level per competence.
    targets: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # [{"key": "a:12", "activity_id": 12, "competence": "1.1", "due": "2027-03-01"},
    #  {"key": "g:1", "goal": "Lär mig Teams-möten", "due": "2027-01-15"}]
    items: Mapped[list] = mapped_column(JSONDocument, default=list)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    employee_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )

    plan: Mapped[DevelopmentPlan] = relationship(back_populates="versions")

    @property
    def agreed(self) -> bool:
        return self.employee_agreed_at is not None and self.manager_agreed_at is not None


class PlanComment(Base):
    __tablename__ = "plan_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("development_plans.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int | None] = mapped_column(Integer)
    author_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanItemCompletion(Base):
    """An agreed item done: once per plan and item key, whichever source saw it first."""

    __tablename__ = "plan_item_completions"
    __table_args__ = (UniqueConstraint("plan_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("development_plans.id", ondelete="CASCADE"))
    item_key: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(32))  # "employee" | "moodle" | ...


def current_period(now: datetime | None = None) -> str:
    """Plans are yearly: the period is the calendar year of the dialogue."""
    return str((now or utcnow()).year)


def latest_plan(session: Session, employee_id: int) -> DevelopmentPlan | None:
    return session.scalar(
        select(DevelopmentPlan)
        .where(DevelopmentPlan.employee_id == employee_id)
        .order_by(DevelopmentPlan.period.desc(), DevelopmentPlan.id.desc())
        .limit(1)
    )


def plan_for_period(session: Session, employee: Employee, period: str) -> DevelopmentPlan:
    plan = session.scalar(
        select(DevelopmentPlan).where(
            DevelopmentPlan.employee_id == employee.id, DevelopmentPlan.period == period
        )
    )
    if plan is None:
        plan = DevelopmentPlan(
            organisation_id=employee.organisation_id, employee_id=employee.id, period=period
        )
        session.add(plan)
        session.flush()
    return plan


def save_version(
    session: Session,
    plan: DevelopmentPlan,
    *,
    targets: dict[str, int],
    items: list[dict],
    attempt_id: str | None,
    role_profile_key: str | None,
    created_by_person_id: int | None,
) -> PlanVersion:
    number = (plan.versions[-1].number if plan.versions else 0) + 1
    version = PlanVersion(
        plan=plan,
        number=number,
        attempt_id=attempt_id,
        role_profile_key=role_profile_key,
        targets=targets,
        items=items,
        created_by_person_id=created_by_person_id,
    )
    session.add(version)
    session.flush()
    return version


def confirm(version: PlanVersion, *, as_employee: bool, person_id: int) -> None:
    """The employee's or the manager's "I agree"; confirming twice keeps the first time."""
    now = utcnow()
    if as_employee:
        version.employee_agreed_at = version.employee_agreed_at or now
    elif version.manager_agreed_at is None:
        version.manager_agreed_at = now
        version.manager_person_id = person_id


def latest_agreed(plan: DevelopmentPlan | None) -> PlanVersion | None:
    if plan is None:
        return None
    return next((v for v in reversed(plan.versions) if v.agreed), None)


def add_comment(session: Session, plan: DevelopmentPlan, person_id: int, text: str) -> PlanComment:
    comment = PlanComment(
        plan_id=plan.id,
        version_number=plan.versions[-1].number if plan.versions else None,
        author_person_id=person_id,
        text=text,
    )
    session.add(comment)
    session.flush()
    return comment


def completions(session: Session, plan_id: int) -> dict[str, datetime]:
    return {
        row.item_key: row.completed_at
        for row in session.scalars(
            select(PlanItemCompletion).where(PlanItemCompletion.plan_id == plan_id)
        )
    }


def complete_item(
    session: Session, plan_id: int, item_key: str, source: str, evidence: dict | None = None
) -> PlanItemCompletion | None:
    """Record the item done; None when it already was (once per item, whoever saw it first)."""
    existing = session.scalar(
        select(PlanItemCompletion).where(
            PlanItemCompletion.plan_id == plan_id, PlanItemCompletion.item_key == item_key
        )
    )
    if existing is not None:
        return None
    # INSERT … ON CONFLICT DO NOTHING, not a savepoint: on SQLite a savepoint taken before
    # the transaction has written anything commits on release, outside the caller's
    # transaction (a scheduler killed just after would leave the item done, its event not).
    now = utcnow()
    new = insert_new(
        session,
        PlanItemCompletion.__table__,
        [{"plan_id": plan_id, "item_key": item_key, "source": source, "completed_at": now}],
    )
    if not new:  # a concurrent tick of the same item won
        return None
    row = session.scalar(
        select(PlanItemCompletion).where(
            PlanItemCompletion.plan_id == plan_id, PlanItemCompletion.item_key == item_key
        )
    )
    _record_item_completion(session, plan_id, item_key, source, row.completed_at, evidence)
    return row


def _record_item_completion(
    session: Session,
    plan_id: int,
    item_key: str,
    source: str,
    completed_at: datetime,
    evidence: dict | None,
) -> None:
    """Every item done is a completion event too, so HR and Moodle hear of it."""
    plan = session.get(DevelopmentPlan, plan_id)
    if plan is None:
        return
    record_completion(
        session,
        organisation_id=plan.organisation_id,
        source="tool.plan_item",
        source_key=f"{plan_id}:{item_key}",
        kind="plan_item",
        completed_at=completed_at,
        person_id=plan.employee.person_id if plan.employee else None,
        employee_id=plan.employee_id,
        plan_id=plan_id,
        plan_item_key=item_key,
        evidence={**(evidence or {}), "completed_by": source},
    )


def matching_plan_item(
    session: Session, employee_id: int | None, urls: set[str]
) -> tuple[int, str] | None:
    """The employee's agreed plan item whose learning activity is at one of `urls` (a
    Moodle course's URL, an instrument's key), and not done yet: (plan id, item key)."""
    if employee_id is None or not urls:
        return None
    plan = latest_plan(session, employee_id)
    agreed = latest_agreed(plan)
    if agreed is None:
        return None
    done = completions(session, plan.id)
    for item in agreed.items:
        activity_id = item.get("activity_id")
        if not activity_id or item.get("key") in done:
            continue
        activity = session.get(LearningActivity, activity_id)
        if activity is not None and (activity.url or "").strip() in urls:
            return plan.id, item["key"]
    return None


def people_names(session: Session, person_ids: set[int | None]) -> dict[int, str]:
    """The names a plan's page shows for its authors and confirmers (their LTI names)."""
    ids = {i for i in person_ids if i}
    if not ids:
        return {}
    rows = session.scalars(select(Person).where(Person.id.in_(ids)))
    return {p.id: p.display_name or p.subject for p in rows}


def plan_attempt(session: Session, version: PlanVersion) -> Attempt | None:
    """The assessment a plan version was made from (None: none, or since erased)."""
    return session.get(Attempt, version.attempt_id) if version.attempt_id else None


def framework_of(session: Session, version: PlanVersion | None) -> Framework:
    """The framework a plan version was agreed against: its assessment's, else DigComp 2.2
    (a plan made before any assessment)."""
    if version is not None and version.attempt_id:
        attempt = session.get(Attempt, version.attempt_id)
        if attempt is not None:
            return load_instrument(session, attempt.instrument_id).framework
    return digcomp()
