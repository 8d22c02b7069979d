"""The development dialogue and the plan: employee and manager agree targets and activities.

`/plans/<employee id>` is the dialogue: the employee's latest result beside
their role profile, competence by competence, where either of them saves a new
version of the plan, confirms it, and comments.  Only the employee and their
manager reach it; anyone else (a colleague, HR, another organisation) gets a
404, so employee ids reveal nothing.  The employee's current levels come from their
latest result; the manager's from the latest result the manager may see
(`storage.result_sharing`), so the two can differ: the page says which result each
one's levels come from, and that the manager sees only what was shared.

`/my/plan` is the employee's own view: the latest agreed plan, a version
waiting for their confirmation, and the items they tick off as done (each
completion is also an xAPI statement, in the same transaction).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from actions.plan_items import NotInAgreedPlan, tick_off_item
from actions.plans import (
    NewerVersionSaved,
    comment_on_plan,
    confirm_plan_version,
    save_plan_version,
)
from competence import plan_form
from competence.plan_form import NEW_GOAL_ROWS, parse_plan_form
from competence.texts import translated
from lti_tool.access import Access, access_required, current_access
from lti_tool.audit_log import log_view
from lti_tool.database import db_session
from lti_tool.organisation import instrument_names
from lti_tool.plan_dialogue import Dialogue, build_dialogue, employee_in_scope, is_self, language
from lti_tool.results import level_name
from lti_tool.team import follow_up_date, overview_of
from storage import Employee
from storage.audit import VIEW_PLAN
from storage.catalogue import visible_activity
from storage.plans import (
    DevelopmentPlan,
    PlanVersion,
    completions,
    framework_of,
    latest_agreed,
    latest_plan,
    people_names,
)

bp = Blueprint("plans", __name__)
COMMENT_MAX = 4000
SUGGEST = "suggest"  # the form's "Show suggestions": shown again with them, nothing saved


def names_for(plan: DevelopmentPlan | None) -> dict[int, str]:
    if plan is None:
        return {}
    ids = {v.created_by_person_id for v in plan.versions} | {
        v.manager_person_id for v in plan.versions
    }
    ids |= {c.author_person_id for c in plan.comments}
    return people_names(db_session(), ids)


def activity_titles(plan_versions: list[PlanVersion], organisation_id: int) -> dict[int, object]:
    session = db_session()
    found = {}
    for version in plan_versions:
        for item in version.items:
            activity_id = item.get("activity_id")
            if activity_id and activity_id not in found:
                activity = visible_activity(session, organisation_id, activity_id)
                if activity is not None:
                    found[activity_id] = activity
    return found


@bp.get("/plans/<int:employee_id>")
@access_required()
def dialogue(employee_id: int):
    access = current_access()
    employee = employee_in_scope(access, employee_id)
    lang = language()
    profile_key = request.args.get("profile") or None
    data = build_dialogue(access, employee, lang, profile_key=profile_key)
    page = _render_dialogue(access, data, errors=[], form=None)
    log_view(access, employee.person_id, VIEW_PLAN, page="plan_dialogue", employee_id=employee.id)
    return page


def _render_dialogue(
    access: Access,
    data: Dialogue,
    errors: list[str],
    form,
    status: int = 200,
    suggested: bool = False,
):
    plan = data.plan
    versions = plan.versions if plan else []
    latest_goals = [i for i in (data.latest.items if data.latest else []) if i.get("goal")]
    return (
        render_template(
            "plans/dialogue.html",
            data=data,
            is_self=is_self(access, data.employee),
            versions=list(reversed(versions)),
            names=names_for(plan),
            activities=activity_titles(versions, data.employee.organisation_id),
            goals=latest_goals,
            new_goal_rows=NEW_GOAL_ROWS,
            chosen=data.chosen,
            errors=errors,
            form=form,
            max_level=data.framework.scale.max_level,
            level_name=lambda level: level_name(data.framework, level, language()),
            waiting_for_me=_waiting_for(access, data.employee, data.latest),
            suggested=suggested,
            next_dialogue=_next_dialogue(data.latest),
        ),
        status,
    )


def _next_dialogue(version: PlanVersion | None):
    """The next yearly dialogue of an agreed version (as the PDF and the overview say)."""
    if version is None or not version.agreed:
        return None
    return follow_up_date(max(version.employee_agreed_at, version.manager_agreed_at))


def _waiting_for(access: Access, employee: Employee, version: PlanVersion | None) -> bool:
    if version is None or version.agreed:
        return False
    if is_self(access, employee):
        return version.employee_agreed_at is None
    return version.manager_agreed_at is None


@bp.post("/plans/<int:employee_id>")
@access_required()
def save(employee_id: int):
    """A new version from the dialogue form: targets, chosen activities and own goals; or,
    with "Show suggestions", the form again with the activities for the targets chosen,
    nothing saved."""
    access = current_access()
    employee = employee_in_scope(access, employee_id)
    lang = language()
    data = build_dialogue(access, employee, lang, form=request.form)
    if request.form.get("action") == SUGGEST:
        return _render_dialogue(access, data, errors=[], form=request.form, suggested=True)
    targets, items, problems = parse_plan_form(
        request.form,
        competences=[(row.id, row.label) for row in data.rows],
        max_level=data.framework.scale.max_level,
        offered={a.id: cid for cid, options in data.options.items() for a, _ in options},
        previous_items=data.latest.items if data.latest else [],
    )
    if problems:
        errors = [problem_text(p, data.framework.scale.max_level) for p in problems]
        return _render_dialogue(access, data, errors=errors, form=request.form, status=400)
    save_plan_version(
        db_session(),
        employee,
        data.plan,
        targets=targets,
        items=items,
        attempt_id=data.attempt.id if data.attempt else None,
        role_profile_key=data.profile.key if data.profile else None,
        by_person_id=access.person.id,
    )
    return redirect(url_for(".dialogue", employee_id=employee.id, saved=1), 303)


def problem_text(problem: plan_form.Problem, max_level: int) -> str:
    """A problem of the plan form (competence.plan_form), in the reader's language."""
    if problem.code == plan_form.TARGET_NOT_A_LEVEL:
        return gettext(
            "The target for %(competence)s must be a level from 0 to %(max)s.",
            competence=problem.competence,
            max=max_level,
        )
    if problem.code == plan_form.ACTIVITY_NOT_OFFERED:
        return gettext("A chosen learning activity is no longer offered.")
    if problem.code == plan_form.GOAL_TOO_LONG:
        return gettext("A goal may be at most %(max)s characters.", max=plan_form.GOAL_MAX)
    return gettext("Give a date (year-month-day) for the goal “%(goal)s”.", goal=problem.goal)


@bp.post("/plans/<int:employee_id>/versions/<int:number>/confirm")
@access_required()
def confirm_version(employee_id: int, number: int):
    access = current_access()
    employee = employee_in_scope(access, employee_id)
    try:
        version = confirm_plan_version(
            db_session(),
            employee.id,
            number,
            as_employee=is_self(access, employee),
            person_id=access.person.id,
        )
    except NewerVersionSaved:
        message = gettext(
            "A newer version of the plan has been saved. Open the dialogue again and confirm "
            "the newest version."
        )
        return render_template("errors/http.html", status=409, message=message), 409
    if version is None:
        abort(404)
    target = request.form.get("next")
    if target == "my" and is_self(access, employee):
        return redirect(url_for(".my_plan"), 303)
    return redirect(url_for(".dialogue", employee_id=employee.id), 303)


@bp.post("/plans/<int:employee_id>/comments")
@access_required()
def comment(employee_id: int):
    access = current_access()
    employee = employee_in_scope(access, employee_id)
    text = request.form.get("comment", "").strip()
    if not text or len(text) > COMMENT_MAX:
        data = build_dialogue(access, employee, language())
        message = gettext("Write a comment of at most %(max)s characters.", max=COMMENT_MAX)
        return _render_dialogue(access, data, errors=[message], form=request.form, status=400)
    comment_on_plan(db_session(), employee, access.person.id, text)
    return redirect(url_for(".dialogue", employee_id=employee.id) + "#comments", 303)


@bp.get("/my/plan")
@access_required()
def my_plan():
    access = current_access()
    session = db_session()
    employee = access.employee
    plan = latest_plan(session, employee.id) if employee else None
    agreed = latest_agreed(plan)
    newest = plan.versions[-1] if plan and plan.versions else None
    waiting = newest if newest is not None and not newest.agreed else None
    team_view = overview_of(access, session) if access.team else None
    names = dict(instrument_names(access.organisation.id))
    versions = [v for v in (agreed, waiting) if v is not None]
    return render_template(
        "plans/my_plan.html",
        employee=employee,
        plan=plan,
        agreed=agreed,
        waiting=waiting,
        done=completions(session, plan.id) if plan else {},
        names=names_for(plan),
        activities=activity_titles(versions, access.organisation.id),
        framework=framework_of(db_session(), agreed or waiting),
        team_view=team_view,
        instruments=[(key, names.get(key, key)) for key in team_view.shared] if team_view else [],
        follow_up_date=follow_up_date,
    )


@bp.post("/my/plan/done")
@access_required(lambda access: access.employee is not None)
def mark_done():
    """The employee ticks off an item of their agreed plan: once, with its xAPI statement."""
    access = current_access()
    try:
        tick_off_item(
            db_session(),
            access.employee.id,
            request.form.get("item_key", ""),
            launch=access.launch,
            public_url=current_app.config["SETTINGS"].public_url,
            language=language(),
        )
    except NotInAgreedPlan:
        abort(404)
    return redirect(url_for(".my_plan"), 303)


def translated_name(profile, lang: str) -> str:
    if profile is None:
        return ""
    return translated(profile.name, lang) if isinstance(profile.name, dict) else str(profile.name)


@bp.app_context_processor
def plan_helpers():
    # For the start page's links: what the launch's person may open.
    return {"profile_name": translated_name, "current_access_of_launch": current_access}
