"""Finding an organisation's people by what an administrator types: part of a name or an
e-mail address, or an employee number exactly."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.people import Person
from storage.staff import Employee


def find_people(
    session: Session,
    organisation_id: int,
    query: str,
    limit: int,
    *,
    by_employee_number: bool = False,
) -> list[Person]:
    # The typed text is matched literally: "%" and "_" are not wildcards to the person typing.
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    matches = [
        func.lower(Person.name).like(pattern, escape="\\"),
        func.lower(Person.given_name + " " + Person.family_name).like(pattern, escape="\\"),
        func.lower(Person.email).like(pattern, escape="\\"),
    ]
    if by_employee_number:
        # Also as HR's staff list knows them: their employee number, or the name and
        # e-mail there (the platform may not share them).
        matches.append(
            Person.id.in_(
                select(Employee.person_id).where(
                    Employee.organisation_id == organisation_id,
                    or_(
                        func.lower(Employee.employee_number) == query.lower(),
                        func.lower(Employee.name).like(pattern, escape="\\"),
                        func.lower(Employee.email).like(pattern, escape="\\"),
                    ),
                )
            )
        )
    return list(
        session.scalars(
            select(Person)
            .where(Person.organisation_id == organisation_id, or_(*matches))
            .order_by(Person.name, Person.id)
            .limit(limit)
        )
    )


def find_employees_not_launched(
    session: Session, organisation_id: int, query: str, limit: int
) -> list[Employee]:
    """People on HR's staff list who have not opened the tool yet (no person linked), by part
    of their name or e-mail address, or their employee number exactly."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return list(
        session.scalars(
            select(Employee)
            .where(
                Employee.organisation_id == organisation_id,
                Employee.person_id.is_(None),
                Employee.active.is_(True),
                or_(
                    func.lower(Employee.name).like(pattern, escape="\\"),
                    func.lower(Employee.email).like(pattern, escape="\\"),
                    func.lower(Employee.employee_number) == query.lower(),
                ),
            )
            .order_by(Employee.name, Employee.id)
            .limit(limit)
        )
    )
