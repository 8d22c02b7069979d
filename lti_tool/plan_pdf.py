"""The development plan as a PDF for the yearly dialogue, in the language of the person who
downloads it.

The paper shows the agreed version; a plan with no agreed version yet gives its newest,
marked as a draft on the paper ("Draft – not agreed").  Beside each target stands the
current level from the assessment the version was made from, when the reader may see it:
the employee always, their manager only when that result is shared with managers
(storage.result_sharing); otherwise the paper says the result is not shared.  The next
follow-up is the yearly dialogue, `FOLLOW_UP_MONTHS` after the agreement
(competence.team_overview.next_follow_up), the date the manager's overview uses too.

Same access as the dialogue: the employee and their manager, a 404 for anyone else.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from competence.team_overview import next_follow_up
from lti_tool.access import access_required, current_access
from lti_tool.audit_log import log_view
from lti_tool.database import db_session
from lti_tool.plan_dialogue import SWEDEN, is_self, language
from lti_tool.plans import activity_titles, names_for
from lti_tool.results import level_name
from lti_tool.tagged_pdf import tagged_pdf
from storage.audit import VIEW_PLAN
from storage.organisations import organisation_row
from storage.plans import DevelopmentPlan, completions, framework_of, latest_agreed, plan_attempt
from storage.result_sharing import results_for_manager
from storage.staff import current_employment

bp = Blueprint("plan_pdf", __name__)


@bp.get("/plans/<int:plan_id>/pdf")
@access_required()
def pdf(plan_id: int):
    access = current_access()
    session = db_session()
    plan = organisation_row(session, DevelopmentPlan, plan_id, access.organisation.id)
    if plan is None:
        abort(404)
    employee = plan.employee
    own = is_self(access, employee)
    if not (own or access.manages(employee)):
        abort(404)
    version = latest_agreed(plan) or (plan.versions[-1] if plan.versions else None)
    if version is None:
        abort(404)
    lang = language()
    employment = current_employment(session, employee.id)
    framework = framework_of(session, version)
    attempt = plan_attempt(session, version)
    not_shared = False
    if attempt is not None and not own:
        shared = results_for_manager(session, plan.organisation_id, employee.person_id)
        not_shared = not any(a.id == attempt.id for a in shared.results)
        attempt = None if not_shared else attempt
    levels = (attempt.result or {}).get("competences", {}) if attempt else {}
    agreed_on = (
        max(version.employee_agreed_at, version.manager_agreed_at).astimezone(SWEDEN).date()
        if version.agreed
        else None
    )
    html = render_template(
        "plans/pdf.html",
        plan=plan,
        version=version,
        employee=employee,
        organisation=access.organisation,
        manager=employment.manager if employment else None,
        role_title=employment.role_title if employment else None,
        names=names_for(plan),
        activities=activity_titles([version], plan.organisation_id),
        framework=framework,
        levels=levels,
        has_result=attempt is not None,
        not_shared=not_shared,
        level_text=lambda level: level_name(framework, level, lang),
        agreed_on=agreed_on,
        follow_up=next_follow_up(agreed_on) if agreed_on else None,
        done=completions(session, plan.id),
        lang=lang,
    )
    document = tagged_pdf(html)
    filename = f"utvecklingsplan-{plan.period}-{employee.employee_number}.pdf"
    log_view(access, employee.person_id, VIEW_PLAN, page="plan_pdf", plan_id=plan.id)
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
