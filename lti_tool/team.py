"""The manager's team: who reports to them (HR's data), and how far each has come.

A manager sees everyone reporting to them now, directly or through managers below
them (`storage.staff.team_ids`).  A result is shown only when the activity it was
given in shares results with the manager and the organisation shares its instrument
(`storage.result_sharing`, the one rule); a person outside the team, or of another
organisation, is a 404.

A person's targets come from the role profile matching their role (yrkesroll)
from HR: a profile of the organisation for the result's framework whose key, or
name in any language, equals the role title (case and surrounding spaces
ignored).  Without a match the chart shows the levels only.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, render_template
from flask_babel import get_locale, gettext
from sqlalchemy import select

from competence.frameworks import Framework
from competence.radar import RadarSeries, radar_svg
from competence.scoring import counts_as_finished
from competence.texts import translated
from lti_tool.access import access_required, current_access
from lti_tool.audit_log import log_view
from lti_tool.database import db_session
from lti_tool.organisation import instrument_names
from lti_tool.results import level_name
from storage import Attempt, AttemptStatus, Employee, Employment, InstrumentVersion, RoleProfile
from storage.attempts import load_instrument
from storage.audit import VIEW_RESULTS
from storage.result_sharing import results_for_manager, shared_instrument_keys
from storage.staff import current_employment

bp = Blueprint("team", __name__)
NOT_STARTED, IN_PROGRESS, FINISHED = "not_started", "in_progress", "finished"


@dataclass(frozen=True)
class Member:
    employee: Employee
    unit: str | None
    role: str | None
    states: dict[str, str]  # instrument key -> not_started | in_progress | finished


@bp.get("/team")
@access_required(lambda access: access.is_manager)
def index():
    access = current_access()
    session = db_session()
    shared = sorted(shared_instrument_keys(session, access.organisation.id))
    employees = session.scalars(
        select(Employee).where(
            Employee.id.in_(access.team),
            Employee.organisation_id == access.organisation.id,
            Employee.active.is_(True),
        )
    ).all()
    employments = {
        employment.employee_id: employment
        for employment in session.scalars(
            select(Employment).where(
                Employment.employee_id.in_(access.team), Employment.valid_to.is_(None)
            )
        )
    }
    states = _states(session, [e.person_id for e in employees if e.person_id], shared)
    members = [
        Member(
            employee=employee,
            unit=_unit_name(employments.get(employee.id)),
            role=employments[employee.id].role_title if employee.id in employments else None,
            states={key: states.get((employee.person_id, key), NOT_STARTED) for key in shared},
        )
        for employee in sorted(employees, key=lambda e: (e.name.casefold(), e.id))
    ]
    names = dict(instrument_names(access.organisation.id))
    return render_template(
        "team/index.html",
        members=members,
        instruments=[(key, names.get(key, key)) for key in shared],
    )


@bp.get("/team/<int:employee_id>")
@access_required(lambda access: access.is_manager)
def member(employee_id: int):
    access = current_access()
    session = db_session()
    employee = session.get(Employee, employee_id)
    if employee is None or not access.manages(employee):
        abort(404)
    employment = current_employment(session, employee.id)
    role = employment.role_title if employment else None
    shared = shared_instrument_keys(session, access.organisation.id)
    results, not_shared = [], 0
    if employee.person_id:
        # Whether the manager sees a result is storage.result_sharing's rule, nowhere else.
        view = results_for_manager(session, access.organisation.id, employee.person_id)
        latest: dict[str, Attempt] = {}
        for attempt in view.results:
            latest.setdefault(attempt.instrument.key, attempt)
        for number, attempt in enumerate(latest.values(), start=1):
            results.append(_result(session, attempt, role, access.organisation.id, number))
        not_shared = view.not_shared
    page = render_template(
        "team/member.html",
        employee=employee,
        unit=_unit_name(employment),
        role=role,
        results=results,
        not_shared=not_shared,
        shares_anything=bool(shared),
    )
    if results:
        log_view(access, employee.person_id, VIEW_RESULTS, page="team_member")
    return page


def _states(session, person_ids: list[int], keys: list[str]) -> dict[tuple[int, str], str]:
    """Each person's state per instrument, from their latest attempt at it."""
    if not person_ids or not keys:
        return {}
    rows = session.execute(
        select(Attempt.person_id, InstrumentVersion.key, Attempt.status, Attempt.overall_level)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .where(Attempt.person_id.in_(person_ids), InstrumentVersion.key.in_(keys))
        .order_by(Attempt.started_at)
    )
    states: dict[tuple[int, str], str] = {}
    for person_id, key, status, overall_level in rows:
        if status != AttemptStatus.SUBMITTED:
            states[person_id, key] = IN_PROGRESS
        elif counts_as_finished(overall_level):
            states[person_id, key] = FINISHED
        else:
            # Submitted with nothing assessed (competence.scoring.counts_as_finished): started,
            # not finished, and it changes nothing about an assessment before it.
            states.setdefault((person_id, key), IN_PROGRESS)
    return states


@dataclass(frozen=True)
class CompetenceLevel:
    name: str
    level: int | None
    level_name: str
    target: int | None


def _result(session, attempt: Attempt, role: str | None, organisation_id: int, number: int):
    language = get_locale().language
    loaded = load_instrument(session, attempt.instrument_id)
    framework = loaded.framework
    targets = _role_targets(session, organisation_id, framework, role)
    competences = attempt.result["competences"]
    rows = [
        CompetenceLevel(
            name=translated(competence.name, language),
            level=competences.get(competence.id, {}).get("level"),
            level_name=level_name(
                framework, competences.get(competence.id, {}).get("level"), language
            ),
            target=targets.get(competence.id),
        )
        for competence in framework.competences
    ]
    series = [RadarSeries(gettext("Level"), [row.level for row in rows], "current")]
    if targets:
        series.append(
            RadarSeries(gettext("Target for the role"), [row.target for row in rows], "target")
        )
    chart = radar_svg(
        [competence.id for competence in framework.competences],
        series,
        max_value=framework.scale.max_level,
        title=gettext("Levels per competence"),
        description=gettext(
            "Spider-web chart of the level (0 to %(max)s) in each of %(count)s competences. "
            "The table below shows the same data.",
            max=framework.scale.max_level,
            count=len(rows),
        ),
        id_prefix=f"team-radar-{number}",
    )
    return {
        "number": number,
        "instrument": translated(loaded.instrument.name, language),
        "submitted_at": attempt.submitted_at,
        "overall": level_name(framework, attempt.result["overall"]["level"], language),
        "rows": rows,
        "has_targets": bool(targets),
        "chart": chart,
    }


def _role_targets(session, organisation_id: int, framework: Framework, role: str | None):
    if not role:
        return {}
    wanted = role.strip().casefold()
    profiles = session.scalars(
        select(RoleProfile)
        .where(
            RoleProfile.organisation_id == organisation_id,
            RoleProfile.framework_key == framework.id,
        )
        .order_by(RoleProfile.id)
    )
    for profile in profiles:
        names = [profile.key, *(profile.name or {}).values()]
        if any(str(name).strip().casefold() == wanted for name in names):
            return dict(profile.targets)
    return {}


def _unit_name(employment: Employment | None) -> str | None:
    return employment.unit.name if employment and employment.unit else None
