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
        matches.append(
            Person.id.in_(
                select(Employee.person_id).where(
                    Employee.organisation_id == organisation_id,
                    func.lower(Employee.employee_number) == query.lower(),
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
