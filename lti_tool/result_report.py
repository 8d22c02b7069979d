"""The personal report: a submitted result as a tagged PDF (PDF/UA-1) to download, print
and bring to the development dialogue.

In the page's language (the person's choice, else their launch's), with the same facts
as the results page (lti_tool.results.result_report).  Same access as the results page:
only the person whose attempt it is; anyone else gets a 404, and an unfinished attempt
sends its owner back to the review, as the results page does.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for
from flask_babel import get_locale

from lti_tool.access import current_access
from lti_tool.assessment import own_attempt
from lti_tool.audit_log import log_view
from lti_tool.auth import launch_required
from lti_tool.results import result_report
from lti_tool.tagged_pdf import tagged_pdf
from storage import AttemptStatus
from storage.audit import VIEW_RESULTS

bp = Blueprint("result_report", __name__)


@bp.get("/attempts/<attempt_id>/results/pdf")
@launch_required
def pdf(attempt_id: str):
    attempt = own_attempt(attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        return redirect(url_for("assessment.review", attempt_id=attempt.id), 303)
    language = get_locale().language
    report = result_report(attempt, language)
    document = tagged_pdf(render_template("assessment/report_pdf.html", report=report))
    # Only the person sees it today; should that widen, whoever else looks is recorded.
    log_view(current_access(), attempt.person_id, VIEW_RESULTS, page="result_pdf",
             attempt_id=attempt.id)  # fmt: skip
    filename = f"resultat-{attempt.submitted_at:%Y-%m-%d}.pdf"
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
