"""The organisation as HR knows it: units, employees, who manages whom, and since when.

Moodle never says who manages whom, so this comes from HR (CSV or a JSON
endpoint the tool polls).  An employee is linked to an LTI identity (`people`)
by `lis.person_sourcedid` (Moodle's idnumber), else by e-mail.  Where someone
works and who manages them is kept as dated `employments`, so a move between
units or managers keeps the history that reports over time need.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.database import Base, UTCDateTime, utcnow
from storage.people import Person


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))  # HR's unit code
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id")


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (
        UniqueConstraint("organisation_id", "employee_number"),
        Index("ix_employees_organisation_email", "organisation_id", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    employee_number: Mapped[str] = mapped_column(String(64))  # HR's employee id
    email: Mapped[str | None] = mapped_column(String(320))  # stored lower-case
    name: Mapped[str] = mapped_column(String(255))
    # Only for the programme's follow-up by gender: "woman", "man", "other" or unknown.
    gender: Mapped[str | None] = mapped_column(String(16))
    digital_role_model: Mapped[bool] = mapped_column(Boolean, default=False)
    # False once HR's file no longer lists them; history and plans stay.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The LTI identity this employee launches as, once matched.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person | None] = relationship()
    employments: Mapped[list[Employment]] = relationship(
        back_populates="employee",
        foreign_keys="Employment.employee_id",
        order_by="Employment.valid_from",
    )


class Employment(Base):
    """Where an employee worked, under whom and as what, from `valid_from` until `valid_to`.

    The current one has `valid_to` NULL; an import that changes unit, manager or
    role closes it and opens a new one."""

    __tablename__ = "employments"
    __table_args__ = (
        Index("ix_employments_current", "employee_id", "valid_to"),
        Index("ix_employments_manager", "manager_id", "valid_to"),
        Index("ix_employments_unit", "unit_id", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="SET NULL"))
    role_title: Mapped[str | None] = mapped_column(String(255))  # yrkesroll
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(
        back_populates="employments", foreign_keys=[employee_id]
    )
    manager: Mapped[Employee | None] = relationship(foreign_keys=[manager_id])
    unit: Mapped[Unit | None] = relationship()


class Grant(Base):
    """An organisation-wide role in the tool, granted by an organisation admin.

    Manager is not granted: it follows from HR's data.  Course admin follows from
    the LTI role in a course, organisation admin from the platform's Administrator
    role or a grant here.

    A grant names the person (their LTI identity) or, for someone on HR's staff list
    who has not opened the tool yet, the employee: it applies from their first launch,
    when the launch is linked to the employee as the staff import links people
    (`link_person`: employee number = Moodle's idnumber, else e-mail)."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("organisation_id", "person_id", "role"),
        UniqueConstraint("organisation_id", "employee_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))  # "programme_lead" | "organisation_admin"
    granted_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person | None] = relationship(foreign_keys=[person_id])
    employee: Mapped[Employee | None] = relationship(foreign_keys=[employee_id])

    @property
    def holder(self) -> Person | None:
        """Who holds the role now: the person, or the employee's person once they launched."""
        if self.person is not None:
            return self.person
        return self.employee.person if self.employee is not None else None


class SharedInstrument(Base):
    """Results of this instrument are shown to the employee's manager (per organisation)."""

    __tablename__ = "shared_instruments"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_key: Mapped[str] = mapped_column(String(100), primary_key=True)


ROLES = ("programme_lead", "organisation_admin")


def link_person(session: Session, person: Person) -> Employee | None:
    """The employee an LTI identity is, linking them on first sight.

    Matched within the person's organisation by `lis.person_sourcedid` (Moodle's
    idnumber) against HR's employee number, else by e-mail; an employee already
    linked to another identity is never taken over.
    """
    email = person.email.strip().lower() if person.email else None
    # One query (it runs on every page): the linked employee and the unlinked candidates,
    # each branch on its own index; the choice among them is made below, in that order.
    branches = [select(Employee.id).where(Employee.person_id == person.id)]
    unlinked = (Employee.organisation_id == person.organisation_id, Employee.person_id.is_(None))
    if person.person_sourcedid:
        number = Employee.employee_number == person.person_sourcedid
        branches.append(select(Employee.id).where(*unlinked, number))
    if email:
        branches.append(select(Employee.id).where(*unlinked, Employee.email == email))
    ids = union_all(*branches) if len(branches) > 1 else branches[0]
    found = session.scalars(
        select(Employee).where(Employee.id.in_(ids)).order_by(Employee.id)
    ).all()
    linked = next((employee for employee in found if employee.person_id == person.id), None)
    if linked is not None:
        return linked
    for matches in (
        lambda employee: (
            bool(person.person_sourcedid) and employee.employee_number == person.person_sourcedid
        ),
        lambda employee: email is not None and employee.email == email,
    ):
        employee = next((e for e in found if e.person_id is None and matches(e)), None)
        if employee is not None:
            employee.person_id = person.id
            return employee
    return None


def current_employment(session: Session, employee_id: int) -> Employment | None:
    return session.scalar(
        select(Employment).where(
            Employment.employee_id == employee_id, Employment.valid_to.is_(None)
        )
    )


def team_members(
    session: Session, organisation_id: int, employee_ids: Collection[int]
) -> list[tuple[Employee, Employment | None]]:
    """The organisation's active employees among these, by name, each with their current
    employment (None when they have none)."""
    employees = session.scalars(
        select(Employee).where(
            Employee.id.in_(employee_ids),
            Employee.organisation_id == organisation_id,
            Employee.active.is_(True),
        )
    ).all()
    employments = {
        employment.employee_id: employment
        for employment in session.scalars(
            select(Employment).where(
                Employment.employee_id.in_(employee_ids), Employment.valid_to.is_(None)
            )
        )
    }
    return [
        (employee, employments.get(employee.id))
        for employee in sorted(employees, key=lambda e: (e.name.casefold(), e.id))
    ]


def team_ids(session: Session, manager_id: int) -> set[int]:
    """Everyone who reports to the manager now, directly or through managers below them."""
    team: set[int] = set()
    frontier = {manager_id}
    while frontier:
        reports = set(
            session.scalars(
                select(Employment.employee_id).where(
                    Employment.manager_id.in_(frontier), Employment.valid_to.is_(None)
                )
            )
        )
        frontier = reports - team - {manager_id}
        team |= frontier
    return team


def active_members(session: Session, employee_ids: set[int]) -> list[Employee]:
    """Of these employees (a manager's team), those still employed, by name."""
    if not employee_ids:
        return []
    return list(
        session.scalars(
            select(Employee)
            .where(Employee.id.in_(employee_ids), Employee.active.is_(True))
            .order_by(Employee.name)
        )
    )


def grants_of(session: Session, person_id: int | None, employee_id: int | None = None) -> set[str]:
    """The roles granted to the person, or to the employee they are (see `Grant`)."""
    held = Grant.person_id == person_id if person_id is not None else false()
    if employee_id is not None:
        held = or_(held, Grant.employee_id == employee_id)
    return set(session.scalars(select(Grant.role).where(held)))


# The organisation admin's grants page; each change commits.


def organisation_person(session: Session, organisation_id: int, person_id: int) -> Person | None:
    """The organisation's person with this id; another organisation's does not exist here."""
    person = session.get(Person, person_id)
    return person if person is not None and person.organisation_id == organisation_id else None


def organisation_employee(
    session: Session, organisation_id: int, employee_id: int
) -> Employee | None:
    """The organisation's employee with this id; another organisation's does not exist here."""
    employee = session.get(Employee, employee_id)
    if employee is None or employee.organisation_id != organisation_id:
        return None
    return employee


def organisation_grants(session: Session, organisation_id: int) -> list[Grant]:
    return list(
        session.scalars(
            select(Grant)
            .where(Grant.organisation_id == organisation_id)
            .order_by(Grant.role, Grant.granted_at, Grant.id)
        )
    )


def grant_role(session: Session, person: Person, role: str, *, by_person_id: int) -> None:
    """Give the person the role in their organisation (once: a second grant changes nothing,
    nor does one the employee they are already has)."""
    employee = session.scalar(select(Employee).where(Employee.person_id == person.id))
    if role in grants_of(session, person.id, employee.id if employee else None):
        return
    session.add(
        Grant(
            organisation_id=person.organisation_id,
            person_id=person.id,
            role=role,
            granted_by_person_id=by_person_id,
        )
    )
    session.commit()


def grant_employee_role(
    session: Session, employee: Employee, role: str, *, by_person_id: int
) -> None:
    """Give someone on HR's staff list the role: to their person when they have launched,
    else to the employee, from their first launch on (once, like `grant_role`)."""
    if employee.person is not None:
        grant_role(session, employee.person, role, by_person_id=by_person_id)
        return
    if role in grants_of(session, None, employee.id):
        return
    session.add(
        Grant(
            organisation_id=employee.organisation_id,
            employee_id=employee.id,
            role=role,
            granted_by_person_id=by_person_id,
        )
    )
    session.commit()


def organisation_grant(session: Session, organisation_id: int, grant_id: int) -> Grant | None:
    grant = session.get(Grant, grant_id)
    return grant if grant is not None and grant.organisation_id == organisation_id else None


def withdraw_grant(session: Session, grant: Grant) -> None:
    session.delete(grant)
    session.commit()
