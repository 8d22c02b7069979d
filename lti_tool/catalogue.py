"""The learning-activity catalogue pages: list, add, edit, retire, and import from CSV.

For organisation admins and programme leads (403 for anyone else).  Shared
entries (no organisation) are listed but read-only; an organisation's own
entries are retired rather than deleted, so agreed plans keep naming them.
A CSV import is all or nothing, every bad row reported with its line.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from competence.catalogue import (
    DEFAULT_FRAMEWORK,
    KINDS,
    LANGUAGES,
    Problem,
    Rejected,
    entries_from_csv,
    entry_from_fields,
    format_builds,
)
from competence.strict_csv import MAX_IMPORT_BYTES
from lti_tool import csrf
from lti_tool.access import access_required, current_access
from lti_tool.csv_problems import csv_problem_text
from lti_tool.database import db_session
from storage.catalogue import (
    LearningActivity,
    add_entry,
    catalogue_of,
    framework_keys,
    import_catalogue,
    own_activity,
    save_entry,
    set_entry_active,
)
from storage.frameworks import find_framework

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")
# Every import shares one size limit (the command line's too); the app's own fits launches.
csrf.UPLOAD_LIMITS["catalogue.import_csv"] = MAX_IMPORT_BYTES

KIND_NAMES = {
    "course": lazy_gettext("Course"),
    "self-study": lazy_gettext("Self-study"),
    "lecture": lazy_gettext("Lecture"),
    "network": lazy_gettext("Network"),
}
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English"}


def may_edit_catalogue(access) -> bool:
    return access.is_organisation_admin or access.is_programme_lead


def problem_message(problem: Problem) -> str:
    """A problem with an entry, said in the user's language (with its line, from a file)."""
    value = problem.value
    messages = {
        "missing_title": gettext("Give a title (at most 255 characters)."),
        "bad_kind": gettext(
            "The kind “%(value)s” is not one of course, self-study, lecture or network.",
            value=value,
        ),
        "bad_url": gettext(
            "The link “%(value)s” must be a web address starting with http:// or https://.",
            value=value,
        ),
        "bad_language": gettext("The language “%(value)s” must be sv or en.", value=value),
        "bad_duration": gettext(
            "The duration “%(value)s” must be a whole number of minutes.", value=value
        ),
        "unknown_framework": gettext("There is no framework “%(value)s”.", value=value),
        "bad_builds": gettext(
            "Name the competences and levels it builds, like 1.1:1-3; 2.4:2-4 (got “%(value)s”).",
            value=value,
        ),
        "unknown_competence": gettext("The framework has no competence “%(value)s”.", value=value),
        "bad_levels": gettext(
            "The levels in “%(value)s” must go from a lower to a higher level of the scale.",
            value=value,
        ),
        "missing_columns": gettext("The file lacks the columns: %(value)s.", value=value),
        "not_csv": gettext("The file is not a CSV file in UTF-8."),
        "empty": gettext("The file has no activities."),
        "bad_id": gettext("The id “%(value)s” is longer than 100 characters.", value=value),
        "duplicate_key": gettext(
            "“%(value)s” is also on line %(other)s: both rows would be the same activity. "
            "Give each its own id.",
            value=value,
            other=dict(problem.params).get("other", ""),
        ),
    }
    message = messages.get(problem.code) or csv_problem_text(problem.code, problem.params)
    if problem.line is not None:
        return gettext("Line %(line)s: %(message)s", line=problem.line, message=message)
    return message


@bp.app_context_processor
def catalogue_names():
    return {
        "kind_name": lambda kind: str(KIND_NAMES.get(kind, kind)),
        "language_name": lambda code: LANGUAGE_NAMES.get(code, code),
    }


def _finder(organisation_id: int):
    session = db_session()
    return lambda key: find_framework(session, key, organisation_id)


@bp.get("/")
@access_required(may_edit_catalogue)
def index():
    access = current_access()
    filters = {
        name: (request.args.get(name) or "").strip() or None
        for name in ("kind", "role", "language", "competence")
    }
    rows = catalogue_of(
        db_session(),
        access.organisation.id,
        include_retired=request.args.get("retired") == "1",
        **filters,
    )
    return render_template(
        "catalogue/index.html",
        rows=rows,
        filters=filters,
        kinds=KINDS,
        languages=LANGUAGES,
        show_retired=request.args.get("retired") == "1",
        format_builds=format_builds,
    )


def _form_page(row: LearningActivity | None, fields, problems, status=200):
    access = current_access()
    return (
        render_template(
            "catalogue/edit.html",
            row=row,
            fields=fields,
            errors=[problem_message(p) for p in problems],
            kinds=KINDS,
            languages=LANGUAGES,
            frameworks=framework_keys(db_session(), access.organisation.id),
        ),
        status,
    )


def _fields_of(row: LearningActivity) -> dict[str, str]:
    return {
        "title": row.title,
        "kind": row.kind,
        "url": row.url or "",
        "language": row.language,
        "duration_minutes": str(row.duration_minutes or ""),
        "framework": row.framework_key,
        "builds": format_builds(row.builds),
        "roles": "; ".join(row.roles or []),
        "description": row.description or "",
    }


@bp.route("/new", methods=["GET", "POST"])
@access_required(may_edit_catalogue)
def new():
    access = current_access()
    if request.method == "GET":
        return _form_page(None, {"language": "sv", "framework": DEFAULT_FRAMEWORK}, [])
    entry, problems = entry_from_fields(request.form, _finder(access.organisation.id))
    if problems:
        return _form_page(None, request.form, problems, 400)
    add_entry(db_session(), access.organisation.id, entry)
    return redirect(url_for(".index", saved=1), 303)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@access_required(may_edit_catalogue)
def edit(activity_id: int):
    access = current_access()
    session = db_session()
    row = own_activity(session, access.organisation.id, activity_id)
    if row is None:
        abort(404)  # another organisation's, or a shared (read-only) entry
    if request.method == "GET":
        return _form_page(row, _fields_of(row), [])
    entry, problems = entry_from_fields(request.form, _finder(access.organisation.id))
    if problems:
        return _form_page(row, request.form, problems, 400)
    save_entry(session, row, entry)
    return redirect(url_for(".index", saved=1), 303)


@bp.post("/<int:activity_id>/active")
@access_required(may_edit_catalogue)
def set_active(activity_id: int):
    """Retire an entry (no longer offered; plans keep it) or bring it back."""
    access = current_access()
    session = db_session()
    row = own_activity(session, access.organisation.id, activity_id)
    if row is None:
        abort(404)
    set_entry_active(session, row, request.form.get("active") == "1")
    return redirect(url_for(".index", retired=request.form.get("retired") or None), 303)


@bp.route("/import", methods=["GET", "POST"])
@access_required(may_edit_catalogue)
def import_csv():
    access = current_access()
    if request.method == "GET":
        return render_template("catalogue/import.html", errors=[], preview=None)
    upload = request.files.get("file")
    dry_run = request.form.get("dry_run") == "1"
    session = db_session()
    try:
        entries = entries_from_csv(
            upload.stream if upload else b"", _finder(access.organisation.id)
        )
    except Rejected as rejected:
        errors = [problem_message(p) for p in rejected.problems]
        return render_template("catalogue/import.html", errors=errors, preview=None), 400
    done = import_catalogue(session, access.organisation.id, entries, dry_run=dry_run)
    if dry_run:
        return render_template("catalogue/import.html", errors=[], preview=entries, counts=done)
    return redirect(url_for(".index", imported=done.added, updated=done.updated or None), 303)
