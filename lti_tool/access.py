"""What the person behind a launch may see: their own data, their team's, or the organisation's.

Roles in the tool:
- employee: anyone who launched; sees only their own results and plan;
- manager: follows from HR's data (people who report to them now, directly or
  through managers below them); sees their team, and each person's results only
  for instruments the organisation shares with managers;
- programme lead / HR: granted by an organisation admin (`grants`); sees the
  organisation's records and reports;
- course admin: Instructor (or Administrator) in the launch's course;
- organisation admin: the platform's Administrator role, or a grant;
- platform admin: the instance owner (lti_tool.admin).

Every route asks `current_access()` and refuses with 403 what the role does not
allow; a person of another organisation is never in scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from flask import abort, g

from lti.claims import primary_role
from lti_tool.auth import current_launch
from lti_tool.database import db_session
from storage import Employee, Launch, Organisation, Person
from storage.staff import grants_of, link_person, team_ids


@dataclass
class Access:
    launch: Launch
    person: Person
    organisation: Organisation
    employee: Employee | None
    grants: frozenset[str]
    team: frozenset[int] = field(default_factory=frozenset)  # employee ids

    @property
    def platform_role(self) -> str:
        return primary_role(self.launch.roles)

    @property
    def is_organisation_admin(self) -> bool:
        return self.platform_role == "administrator" or "organisation_admin" in self.grants

    @property
    def is_programme_lead(self) -> bool:
        return "programme_lead" in self.grants or self.is_organisation_admin

    @property
    def is_manager(self) -> bool:
        return bool(self.team)

    @property
    def is_course_admin(self) -> bool:
        return self.platform_role in ("teacher", "administrator")

    def manages(self, employee: Employee) -> bool:
        return employee.organisation_id == self.organisation.id and employee.id in self.team

    def may_see_person_of(self, employee: Employee) -> bool:
        """An individual's records: the person, their manager, or HR of their organisation."""
        if employee.organisation_id != self.organisation.id:
            return False
        own = self.employee is not None and employee.id == self.employee.id
        return own or self.manages(employee) or self.is_programme_lead


def current_access() -> Access | None:
    """The launch's person and what they may see; None without a launch."""
    if "access" not in g:
        launch = current_launch()
        if launch is None:
            g.access = None
        else:
            session = db_session()
            employee = link_person(session, launch.person)
            g.access = Access(
                launch=launch,
                person=launch.person,
                organisation=launch.registration.organisation,
                employee=employee,
                grants=frozenset(
                    grants_of(session, launch.person.id, employee.id if employee else None)
                ),
                team=frozenset(team_ids(session, employee.id)) if employee else frozenset(),
            )
    return g.access


def access_required(allowed=lambda access: True):
    """401 without a launch, 403 when `allowed(access)` is false."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            access = current_access()
            if access is None:
                abort(401)
            if not allowed(access):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
