"""The organisation admin's data-protection pages: find a person, download everything
the tool holds on them, erase it, and read the audit log.

Only organisation admins, and only for people of their own organisation: another
organisation's person id is a 404.  Erasure asks first, on a page listing what goes and
which systems outside the tool still hold data (they must be asked separately), and
shows that list again when done.  What the rows are and what erasure does to each is
decided in storage.personal_data; actions.privacy does the work for this page and the
command line alike.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import lazy_gettext

from actions.privacy import erase_person, export_person, find_person, people_by_id, subject_of
from lti_tool.access import current_access
from lti_tool.audit_log import collapsed
from lti_tool.database import db_session
from lti_tool.export_summary import summary_files
from lti_tool.organisation import SEARCH_RESULTS, organisation_admin, role_names
from storage import Person
from storage.audit import (
    ERASE,
    EXPORT,
    ROLE_PROFILE,
    UPDATE_REGISTRATION,
    VIEW_PLAN,
    VIEW_RESULTS,
    audit_events,
)
from storage.person_search import find_people
from storage.personal_data import TABLES, Erasure, Subject, collect
from storage.personal_erasure import external_holders

bp = Blueprint("data_protection", __name__, url_prefix="/organisation")
AUDIT_SHOWN = 200

HOLDER_KINDS = {
    "lrs": lazy_gettext("The organisation's learning record store (xAPI statements sent)"),
    "gradebook": lazy_gettext("The Moodle gradebook (scores sent)"),
    "moodle_plans": lazy_gettext("Moodle learning plans (competency ratings sent)"),
    "hr": lazy_gettext("The HR system (competence records sent)"),
    "platform": lazy_gettext("The learning platform the person logs in from (their account)"),
    "statement_api": lazy_gettext("A Statement API client that may have read the statements"),
}
ERASURE_NAMES = {
    Erasure.DELETE: lazy_gettext("removed"),
    Erasure.PSEUDONYMISE: lazy_gettext("kept without name or identifiers"),
    Erasure.KEEP: lazy_gettext("kept for the reports, no identifiers"),
    Erasure.SCRUB: lazy_gettext("identifiers in the text replaced"),
}
ACTION_NAMES = {
    VIEW_RESULTS: lazy_gettext("viewed results"),
    VIEW_PLAN: lazy_gettext("viewed the development plan"),
    EXPORT: lazy_gettext("exported the person's data"),
    ERASE: lazy_gettext("erased a person's data"),
    UPDATE_REGISTRATION: lazy_gettext("updated the learning platform's registration"),
    ROLE_PROFILE: lazy_gettext("copied or changed a role profile"),
}


def _person(person_id: int) -> tuple[Person, Subject]:
    """The organisation's person and what the tool holds on them; another organisation's
    person is a 404."""
    session = db_session()
    organisation = current_access().organisation
    person, employee = find_person(session, organisation, person_id=person_id)
    if person is None:
        abort(404)
    subject = subject_of(
        session,
        organisation,
        person,
        employee,
        public_url=current_app.config["SETTINGS"].public_url,
    )
    return person, subject


@bp.get("/people")
@organisation_admin
def people():
    access = current_access()
    query = (request.args.get("q") or "").strip()
    found = []
    if query:
        found = find_people(
            db_session(), access.organisation.id, query, SEARCH_RESULTS, by_employee_number=True
        )
    return render_template("organisation/people.html", query=query, found=found)


@bp.get("/people/<int:person_id>")
@organisation_admin
def person(person_id: int):
    found, subject = _person(person_id)
    held = collect(db_session(), subject)
    return render_template(
        "organisation/person.html",
        person=found,
        held=held,
        tables=TABLES,
        erasure_names=ERASURE_NAMES,
    )


@bp.post("/people/<int:person_id>/export")
@organisation_admin
def export(person_id: int):
    found, subject = _person(person_id)
    made = export_person(
        db_session(),
        subject,
        by_person_id=current_access().person.id,
        summary=lambda facts, made_at: summary_files(
            facts, made_at=made_at, holder_kinds=HOLDER_KINDS, role_names=role_names
        ),
    )
    return Response(
        made,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="person-{found.id}.zip"'},
    )


@bp.get("/people/<int:person_id>/erase")
@organisation_admin
def confirm_erasure(person_id: int):
    found, subject = _person(person_id)
    session = db_session()
    return render_template(
        "organisation/erase.html",
        person=found,
        held=collect(session, subject),
        holders=external_holders(session, subject),
        tables=TABLES,
        erasure_names=ERASURE_NAMES,
        holder_kinds=HOLDER_KINDS,
    )


@bp.post("/people/<int:person_id>/erase")
@organisation_admin
def erase(person_id: int):
    _found, subject = _person(person_id)
    done = erase_person(db_session(), subject, by_person_id=current_access().person.id)
    return render_template(
        "organisation/erased.html",
        done=done,
        tables=TABLES,
        erasure_names=ERASURE_NAMES,
        holder_kinds=HOLDER_KINDS,
    )


@bp.get("/audit")
@organisation_admin
def audit():
    access = current_access()
    events = audit_events(db_session(), access.organisation.id, limit=AUDIT_SHOWN)
    ids = {e.actor_person_id for e in events} | {e.subject_person_id for e in events}
    return render_template(
        "organisation/audit.html",
        rows=collapsed(events),
        people=people_by_id(db_session(), access.organisation.id, ids),
        action_names=ACTION_NAMES,
        shown=AUDIT_SHOWN,
    )
