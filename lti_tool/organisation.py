"""Organisation admin pages: HR's staff list, import history, grants, what managers may see.

Only organisation admins (the platform's Administrator role, or a grant) see these
pages, and only their own organisation's data: an id from another organisation
is a 404.

An uploaded staff list is checked and shown as a dry run first, by the same action
as the command line and the nightly poll (storage.staff_import, which says how the
preview is kept).  A list that would end more than `hr_max_ending_percent` of the
current employments is shown with a warning naming the number and the share, and is
applied only when the admin ticks the box that names that number.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, gettext, lazy_gettext

from competence.instruments import shipped_documents
from competence.staff_list import StaffListRejected
from competence.strict_csv import MAX_IMPORT_BYTES
from competence.texts import translated
from lti_tool import csrf
from lti_tool.access import access_required, current_access
from lti_tool.csv_problems import CSV_PROBLEM_TEXTS
from lti_tool.database import db_session
from lti_tool.input_limits import whole_number
from storage import staff_import
from storage.attempts import stored_instrument_documents
from storage.hr_import import hr_source_of, import_record, organisation_imports
from storage.person_search import find_employees_not_launched, find_people
from storage.result_sharing import share_instruments, shared_instrument_keys
from storage.staff import (
    ROLES,
    grant_employee_role,
    grant_role,
    organisation_employee,
    organisation_grant,
    organisation_grants,
    organisation_person,
    withdraw_grant,
)

bp = Blueprint("organisation", __name__, url_prefix="/organisation")
csrf.UPLOAD_LIMITS["organisation.preview_staff_list"] = MAX_IMPORT_BYTES  # as the CLI's
CHANGES_SHOWN = 200
HISTORY_SHOWN = 50
SEARCH_RESULTS = 20

organisation_admin = access_required(lambda access: access.is_organisation_admin)

# competence.staff_list.PROBLEMS in the person's language (same English texts).
PROBLEM_TEXTS = {
    "empty": lazy_gettext("the file is empty"),
    "missing_columns": lazy_gettext("the header has no column %(columns)s"),
    "not_json": lazy_gettext("not valid JSON (%(reason)s)"),
    "not_employees": lazy_gettext('expected {"employees": [...]}'),
    "not_object": lazy_gettext("not an object"),
    "missing_id": lazy_gettext("employee_id is missing"),
    "missing_name": lazy_gettext("name is missing"),
    "too_long": lazy_gettext("%(field)s is longer than %(limit)s characters"),
    "duplicate_id": lazy_gettext("duplicate employee_id '%(value)s' (also on line %(other)s)"),
    "duplicate_email": lazy_gettext("duplicate email '%(value)s' (also on line %(other)s)"),
    "bad_email": lazy_gettext("email '%(value)s' is not an e-mail address"),
    "bad_gender": lazy_gettext("gender '%(value)s' is not one of woman, man, other (or empty)"),
    "bad_flag": lazy_gettext("digital_role_model '%(value)s' is not yes or no"),
    "unit_without_code": lazy_gettext("unit_name or parent_unit_code given without unit_code"),
    "unknown_manager": lazy_gettext("unknown manager id '%(value)s'"),
    "manager_cycle": lazy_gettext("manager cycle: %(path)s"),
    "unit_names_differ": lazy_gettext(
        "unit '%(unit)s' is named '%(name)s', on line %(other)s '%(other_name)s'"
    ),
    "unit_parents_differ": lazy_gettext(
        "unit '%(unit)s' has parent '%(parent)s', on line %(other)s '%(other_parent)s'"
    ),
    "unknown_parent": lazy_gettext("unknown parent unit '%(value)s'"),
    "unit_cycle": lazy_gettext("unit '%(unit)s' is among its own parent units"),
    "mass_ending": lazy_gettext(
        "the list would end %(ending)s of %(current)s current employments (%(percent)s %%); "
        "more than %(limit)s %% are ended only when someone confirms it"
    ),
    **CSV_PROBLEM_TEXTS,
}


@bp.app_template_global()
def staff_list_problem(code: str | None, params, english: str = "") -> str:
    """A staff list problem (a RowError, or one stored in an import's history) in the
    person's language; an unknown code (a reason from elsewhere) is shown as stored."""
    text = PROBLEM_TEXTS.get(code or "")
    if text is None:
        return english or dict(params or {}).get("reason", "")
    return str(text) % dict(params or {})


@bp.get("/")
@organisation_admin
def index():
    access = current_access()
    source = hr_source_of(db_session(), access.organisation.id)
    return render_template(
        "organisation/index.html", organisation=access.organisation, source=source
    )


@bp.get("/staff")
@organisation_admin
def staff_list_form():
    return render_template("organisation/staff_upload.html", errors=None)


@bp.post("/staff")
@organisation_admin
def preview_staff_list():
    access = current_access()
    upload = request.files.get("staff_list")
    if upload is None or not upload.filename:
        return render_template(
            "organisation/staff_upload.html",
            errors=None,
            missing=gettext("Choose a file to upload."),
        ), 400
    try:
        result = staff_import.preview_staff_list(
            _database(),
            access.organisation.id,
            upload.filename,
            upload.read(),
            by_person_id=access.person.id,
            max_ending_percent=_max_ending_percent(),
        )
    except StaffListRejected as rejected:
        return render_template(
            "organisation/staff_upload.html", errors=rejected.errors, filename=upload.filename
        ), 422
    return _preview_page(result)


@bp.post("/staff/<int:preview_id>/apply")
@organisation_admin
def apply_staff_list_preview(preview_id: int):
    """Apply a previewed list.  One that ends many employments needs the named
    confirmation: the box "Yes, end 196 employments (100 %)" sends that number."""
    access = current_access()
    confirmed = request.form.get("confirm_ending", type=int)
    try:
        result = staff_import.apply_staff_list_preview(
            _database(),
            access.organisation.id,
            preview_id,
            confirmed_ending=confirmed,
            max_ending_percent=_max_ending_percent(),
        )
    except staff_import.PreviewGone:
        abort(404)
    except StaffListRejected:  # it was checked at upload; the rules may have changed since
        abort(409)
    except staff_import.MassEndingRefused:
        preview = staff_import.preview_again(
            _database(), access.organisation.id, preview_id, _max_ending_percent()
        )
        return _preview_page(preview, refused=True), 409
    flash(gettext("The staff list was imported: %(count)s rows.", count=result.rows))
    return redirect(url_for("organisation.import_history"))


def _preview_page(result: staff_import.StaffImport, refused: bool = False):
    preview = import_record(db_session(), result.record_id)
    return render_template(
        "organisation/staff_preview.html",
        preview=preview,
        diff=result.diff,
        summary=result.diff.summary(),
        shown=CHANGES_SHOWN,
        ending=result.ending,
        needs_confirmation=result.needs_confirmation,
        max_ending_percent=_max_ending_percent(),
        refused=refused,
    )


def _database():
    return current_app.extensions["database"]


def _max_ending_percent() -> int:
    return current_app.config["SETTINGS"].hr_max_ending_percent


@bp.get("/imports")
@organisation_admin
def import_history():
    access = current_access()
    session = db_session()
    imports = organisation_imports(session, access.organisation.id, HISTORY_SHOWN)
    source = hr_source_of(session, access.organisation.id)
    return render_template("organisation/imports.html", imports=imports, source=source)


@bp.get("/grants")
@organisation_admin
def grants():
    access = current_access()
    session = db_session()
    query = (request.args.get("q") or "").strip()
    found, not_launched = [], []
    if query:
        found = find_people(
            session, access.organisation.id, query, SEARCH_RESULTS, by_employee_number=True
        )
        not_launched = find_employees_not_launched(
            session, access.organisation.id, query, SEARCH_RESULTS
        )
    granted = organisation_grants(session, access.organisation.id)
    return render_template(
        "organisation/grants.html",
        query=query,
        found=found,
        not_launched=not_launched,
        granted=granted,
        role_names=role_names(),
    )


@bp.post("/grants")
@organisation_admin
def add_grant():
    access = current_access()
    session = db_session()
    role = request.form.get("role", "")
    if role not in ROLES:
        abort(400)
    employee_id = whole_number(request.form.get("employee_id"))
    if employee_id is not None:
        # Someone on HR's staff list: the role applies from their first launch.
        employee = organisation_employee(session, access.organisation.id, employee_id)
        if employee is None:
            abort(404)
        grant_employee_role(session, employee, role, by_person_id=access.person.id)
        name = employee.name
    else:
        person_id = whole_number(request.form.get("person_id")) or 0
        person = organisation_person(session, access.organisation.id, person_id)
        if person is None:
            abort(404)
        grant_role(session, person, role, by_person_id=access.person.id)
        name = person.display_name or person.email or person.subject
    flash(gettext("%(name)s is now %(role)s.", name=name, role=role_names()[role]))
    return redirect(url_for("organisation.grants"))


@bp.post("/grants/<int:grant_id>/revoke")
@organisation_admin
def revoke_grant(grant_id: int):
    access = current_access()
    session = db_session()
    grant = organisation_grant(session, access.organisation.id, grant_id)
    if grant is None:
        abort(404)
    name = grant_holder_name(grant)
    role = role_names()[grant.role]
    withdraw_grant(session, grant)
    flash(gettext("%(name)s is no longer %(role)s.", name=name, role=role))
    return redirect(url_for("organisation.grants"))


@bp.get("/shared-instruments")
@organisation_admin
def shared_instruments():
    access = current_access()
    return render_template(
        "organisation/shared_instruments.html",
        instruments=instrument_names(access.organisation.id),
        shared=shared_instrument_keys(db_session(), access.organisation.id),
    )


@bp.post("/shared-instruments")
@organisation_admin
def save_shared_instruments():
    access = current_access()
    available = dict(instrument_names(access.organisation.id))
    chosen = set(request.form.getlist("instrument"))
    if not chosen <= set(available):
        abort(400)
    share_instruments(db_session(), access.organisation.id, chosen)
    flash(gettext("Saved: managers see results of %(count)s instrument(s).", count=len(chosen)))
    return redirect(url_for("organisation.shared_instruments"))


@bp.app_template_global()
def grant_holder_name(grant) -> str:
    """Who a grant is for: the person's name, else the name on HR's staff list."""
    holder = grant.holder
    if holder is not None:
        name = holder.display_name or holder.email or holder.subject
        if name:
            return name
    return grant.employee.name if grant.employee is not None else ""


def role_names() -> dict[str, str]:
    return {
        "programme_lead": gettext("programme lead (HR)"),
        "organisation_admin": gettext("organisation admin"),
    }


def instrument_names(organisation_id: int) -> list[tuple[str, str]]:
    """(key, name) of the instruments the organisation can use, newest version's name."""
    language = get_locale().language
    stored = stored_instrument_documents(db_session(), organisation_id)
    documents = {**shipped_documents(), **stored}
    names = {
        key: translated(document.get("name") or {"sv": key}, language)
        for key, document in documents.items()
    }
    return sorted(names.items(), key=lambda item: item[1].casefold())
