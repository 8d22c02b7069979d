"""Individual development plans: what employee and manager agreed in their dialogue.

A plan belongs to an employee and keeps every version: each change is a new
`PlanVersion`, and a version is agreed when both have confirmed it (who and
when).  Items are the agreed learning activities and own goals; their
completion is recorded as it happens (a course finished in Moodle, a goal
ticked off), which the sync service and xAPI report on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.database import Base, JSONDocument, UTCDateTime, utcnow
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
