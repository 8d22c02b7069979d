"""The development plan as a PDF for the yearly dialogue, in the employee's language.

The employee's language is the locale of their latest launch (Moodle's
language for them), else Swedish; the viewer's own choice does not change it,
because the paper is the employee's.  Same access as the dialogue: the
employee and their manager, a 404 for anyone else.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_babel import force_locale

from lti_tool.access import access_required, current_access
from lti_tool.audit_log import log_view
from lti_tool.database import db_session
from lti_tool.i18n import language_of
from lti_tool.plans import activity_titles, is_self, names_for
from lti_tool.tagged_pdf import tagged_pdf
from storage.audit import VIEW_PLAN
from storage.launches import latest_launch_locale
from storage.organisations import organisation_row
from storage.plans import DevelopmentPlan, completions, framework_of, latest_agreed
from storage.staff import current_employment

bp = Blueprint("plan_pdf", __name__)
DEFAULT_LANGUAGE = "sv"


@bp.get("/plans/<int:plan_id>/pdf")
@access_required()
def pdf(plan_id: int):
    access = current_access()
    session = db_session()
    plan = organisation_row(session, DevelopmentPlan, plan_id, access.organisation.id)
    if plan is None:
        abort(404)
    employee = plan.employee
    if not (is_self(access, employee) or access.manages(employee)):
        abort(404)
    version = latest_agreed(plan) or (plan.versions[-1] if plan.versions else None)
    if version is None:
        abort(404)
    lang = language_of(latest_launch_locale(session, employee.person_id)) or DEFAULT_LANGUAGE
    employment = current_employment(session, employee.id)
    with force_locale(lang):
        html = render_template(
            "plans/pdf.html",
            plan=plan,
            version=version,
            employee=employee,
            manager=employment.manager if employment else None,
            role_title=employment.role_title if employment else None,
            names=names_for(plan),
            activities=activity_titles([version], plan.organisation_id),
            framework=framework_of(session, version),
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
