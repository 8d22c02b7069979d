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
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale, gettext

from competence.plain_language import level_words
from competence.team_overview import EVERYONE, FOLLOW_UP_ONLY, SORTS, arrange, next_follow_up
from competence.texts import translated
from lti_tool.access import access_required, current_access
from lti_tool.audit_log import log_view
from lti_tool.database import db_session
from lti_tool.organisation import instrument_names
from lti_tool.results import competence_rows, level_name, levels_chart
from storage import Attempt, Employee, Employment
from storage.attempts import load_instrument
from storage.audit import VIEW_RESULTS
from storage.catalogue import role_targets
from storage.frameworks import find_framework
from storage.organisations import organisation_row
from storage.result_sharing import results_for_manager, shared_instrument_keys
from storage.staff import current_employment
from storage.team_overview import team_overview

bp = Blueprint("team", __name__)
SWEDEN = ZoneInfo("Europe/Stockholm")


@bp.get("/team")
@access_required(lambda access: access.is_manager)
def index():
    access = current_access()
    session = db_session()
    view = overview_of(access, session)
    names = dict(instrument_names(access.organisation.id))
    return render_template(
        "team/index.html",
        view=view,
        instruments=[(key, names.get(key, key)) for key in view.shared],
        follow_up_date=follow_up_date,
    )


def follow_up_date(moment: datetime):
    """When the dialogue after `moment` (a plan saved or agreed) is due, the day in Sweden."""
    return next_follow_up(moment.astimezone(SWEDEN).date())


@dataclass(frozen=True)
class OverviewView:
    """The team overview as asked for: its rows sorted and filtered, and how."""

    rows: list
    total: int
    needing_follow_up: int
    sort: str
    descending: bool
    show: str
    shared: list[str]
    level_names: dict  # (framework key, level) -> the level's name


def overview_of(access, session) -> OverviewView:
    """The manager's team as the query parameters `sort`, `dir` and `show` ask (unknown
    values fall back to name order and everyone)."""
    today = datetime.now(SWEDEN).date()
    rows = team_overview(session, access.organisation.id, access.team, today)
    sort = request.args.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    descending = request.args.get("dir") == "desc"
    show = FOLLOW_UP_ONLY if request.args.get("show") == FOLLOW_UP_ONLY else EVERYONE
    language = get_locale().language
    level_names = {}
    for row in rows:
        if row.latest is not None:
            identity = (row.latest.framework_key, row.latest.overall_level)
            if identity not in level_names:
                framework = find_framework(
                    session, row.latest.framework_key, access.organisation.id
                )
                # As the results page says it: "Nivå 3 – Medel".
                level_names[identity] = (
                    gettext(
                        "Level %(number)s – %(name)s",
                        number=row.latest.overall_level,
                        name=level_words(framework, row.latest.overall_level, language).name,
                    )
                    if framework
                    else str(row.latest.overall_level)
                )
    return OverviewView(
        rows=arrange(rows, sort, descending, show),
        total=len(rows),
        needing_follow_up=sum(1 for row in rows if row.follow_up),
        sort=sort,
        descending=descending,
        show=show,
        shared=sorted(shared_instrument_keys(session, access.organisation.id)),
        level_names=level_names,
    )


@bp.get("/team/<int:employee_id>")
@access_required(lambda access: access.is_manager)
def member(employee_id: int):
    access = current_access()
    session = db_session()
    employee = organisation_row(session, Employee, employee_id, access.organisation.id)
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


def _result(session, attempt: Attempt, role: str | None, organisation_id: int, number: int):
    language = get_locale().language
    loaded = load_instrument(session, attempt.instrument_id)
    framework = loaded.framework
    targets = role_targets(session, organisation_id, framework.id, role)
    rows = competence_rows(framework, attempt.result, language, targets)
    chart = levels_chart(
        framework,
        rows,
        current=gettext("Level"),
        target=gettext("Target for the role") if targets else None,
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


def _unit_name(employment: Employment | None) -> str | None:
    return employment.unit.name if employment and employment.unit else None
