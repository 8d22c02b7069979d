"""The first file of a person's data export: a document for the person, in their language.

It says in plain words who they are in the tool, their assessments with dates and levels,
their plans, what their manager can see, what was sent where and how long it is kept
(actions.privacy_summary gathers the facts).  It is a tagged PDF (PDF/UA, like every
PDF of the tool), with the same text as a web page beside it; the raw files follow.
The person's language is that of their latest launch, else Swedish.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from actions.privacy_summary import SummaryFacts
from lti_tool.i18n import language_of
from lti_tool.tagged_pdf import tagged_pdf


def summary_files(
    facts: SummaryFacts, *, made_at: datetime, holder_kinds: dict, role_names
) -> list[tuple[str, bytes]]:
    """(file name, content) of the summary: the PDF first, then the same as a web page."""
    language = language_of(facts.language) or current_app.config["DEFAULT_LOCALE"]
    with force_locale(language):
        html = render_template(
            "privacy/export_summary.html",
            facts=facts,
            lang=language,
            made_at=made_at,
            retention=_retention(current_app.config["SETTINGS"]),
            holder_kinds={kind: str(name) for kind, name in holder_kinds.items()},
            role_names=role_names(),
        )
        name = gettext("1 Summary")
    return [(f"{name}.pdf", tagged_pdf(html)), (f"{name}.html", html.encode("utf-8"))]


def _retention(settings) -> SimpleNamespace:
    """The retention periods the person's data falls under, in days (0: kept for good)."""
    return SimpleNamespace(
        answers_days=settings.retention_answers_days,
        launches_days=settings.retention_launches_days,
        delivered_days=settings.retention_delivered_days,
        audit_days=settings.retention_audit_days,
    )
