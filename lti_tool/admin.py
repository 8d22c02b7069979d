"""Admin pages: the platforms connected to the tool, switching them on and off, invitations.

Two kinds of people get in:

* the instance owner, who signs in at /admin/login with the admin secret and sees every
  organisation (and may invite new platforms);
* a platform administrator who launched the tool from Moodle (LTI role Administrator), who
  sees only the registrations of their own organisation.

Anyone else who launched gets 403; a visitor who did neither is sent to the sign-in page.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as browser_session
from flask_babel import gettext, lazy_gettext

from lti import registration_invitations as invitations
from lti.claims import primary_role
from lti.platforms import NewOrganisation
from lti_tool import sessions
from lti_tool.auth import current_launch
from lti_tool.database import db_session
from lti_tool.input_limits import whole_number
from outbound.http_client import make_http_session
from storage import Delivery, DeliveryStatus, LrsEndpoint, Organisation, PlatformRegistration
from storage.completions import SyncTarget, sync_target_states
from storage.database import utcnow
from storage.jobs import latest_runs, requested_job_ids
from storage.lrs import record_stores
from storage.organisations import (
    organisation_row,
    organisations_by_name,
    registrations_of,
    switch_registration,
)
from storage.outbox import dead_deliveries, delivery_counts, retry_dead_delivery
from storage.platform_activity import last_grades_sent
from sync import admin as sync_admin
from sync.scheduler import configured_jobs

bp = Blueprint("admin", __name__, url_prefix="/admin")
OWNER_KEY = "admin_owner"
MAX_INVITATION_DAYS = 90


@dataclass(frozen=True)
class Viewer:
    owner: bool
    organisation: Organisation | None = None


def _settings():
    return current_app.config["SETTINGS"]


def _owner_mark() -> str | None:
    """What the session holds for the owner; changing the admin secret signs every owner out."""
    secret = _settings().admin_secret
    if not secret:
        return None
    return hmac.new(
        current_app.secret_key.encode(), b"admin-owner\n" + secret.encode(), hashlib.sha256
    ).hexdigest()


def current_viewer() -> Viewer | None:
    """The owner, an administrator of one organisation, or None; 403 for other launches."""
    if current_viewer_is_owner():
        return Viewer(owner=True)
    launch = current_launch()
    if launch is None:
        return None
    if primary_role(launch.roles) != "administrator":
        abort(403)
    return Viewer(owner=False, organisation=launch.registration.organisation)


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        viewer = current_viewer()
        if viewer is None:
            if request.method == "GET":
                return redirect(url_for("admin.login"), 302)
            abort(401)
        g.viewer = viewer
        return view(*args, **kwargs)

    return wrapped


def owner_required(view):
    @admin_required
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not g.viewer.owner:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
@admin_required
def index():
    return _index_page()


def _organisation_id() -> int | None:
    """Whose rows the viewer sees: None for the instance owner (everyone's)."""
    return None if g.viewer.owner else g.viewer.organisation.id


def _index_page(invite_error: str | None = None):
    viewer: Viewer = g.viewer
    session = db_session()
    registrations = registrations_of(session, _organisation_id())
    grades_sent = last_grades_sent(session, (r.id for r in registrations))
    organisations = organisations_by_name(session) if viewer.owner else []
    return render_template(
        "admin/registrations.html",
        viewer=viewer,
        registrations=registrations,
        grades_sent=grades_sent,
        organisations=organisations,
        invite_error=invite_error,
        chosen=request.form.get("organisation", "new"),
        new_name=request.form.get("organisation_name", ""),
        days=request.form.get("days", str(invitations.DEFAULT_INVITATION_DAYS)),
    )


@bp.post("/registrations/<int:registration_id>/enabled")
@admin_required
def set_enabled(registration_id: int):
    viewer: Viewer = g.viewer
    registration = _viewers_or_404(PlatformRegistration, registration_id)
    enabled = request.form.get("enabled") == "1"
    switch_registration(db_session(), registration, enabled)
    # Only enabled platforms may frame the tool.
    current_app.extensions["frame_ancestors"].invalidate()
    current_app.logger.info(
        "registration %s %s by %s",
        registration.id,
        "enabled" if enabled else "disabled",
        "the owner" if viewer.owner else "an administrator of its organisation",
    )
    flash(
        gettext("%(platform)s is switched on.", platform=registration.issuer)
        if enabled
        else gettext("%(platform)s is switched off.", platform=registration.issuer)
    )
    return redirect(url_for("admin.index"), 303)


@bp.post("/invitations")
@owner_required
def invite():
    days_text = request.form.get("days", "").strip()
    days = whole_number(days_text) or 0
    if not 1 <= days <= MAX_INVITATION_DAYS:
        return _index_page(invite_error="days"), 400
    chosen = request.form.get("organisation", "new")
    if chosen == "new":
        name = request.form.get("organisation_name", "").strip()
        if not name:
            return _index_page(invite_error="organisation_name"), 400
        organisation = NewOrganisation(name)
    else:
        organisation = organisation_row(db_session(), Organisation, whole_number(chosen) or 0, None)
        if organisation is None:
            return _index_page(invite_error="organisation"), 400
    invited = invitations.invite_platform(db_session(), organisation, days)
    current_app.logger.info(
        "invitation %s created for %s", invited.invitation.id, invited.organisation.slug
    )
    response = current_app.make_response(
        render_template(
            "admin/invitation.html",
            url=invitations.invitation_url(_settings().public_url, invited.token),
            organisation_name=invited.organisation.name,
            expires_at=invited.invitation.expires_at,
        )
    )
    # The link is shown once: no copy of it in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if not _owner_mark():
        return render_template("admin/login.html", enabled=False), 404
    if request.method == "GET":
        if current_viewer_is_owner():
            return redirect(url_for("admin.index"), 302)
        return render_template("admin/login.html", enabled=True)
    typed = request.form.get("admin_secret", "")
    if not hmac.compare_digest(typed.encode(), _settings().admin_secret.encode()):
        current_app.logger.warning("admin sign-in with a wrong secret from %s", request.remote_addr)
        return render_template("admin/login.html", enabled=True, error=True), 403
    browser_session[OWNER_KEY] = _owner_mark()
    sessions.start()
    return redirect(url_for("admin.index"), 303)


@bp.post("/logout")
def logout():
    browser_session.pop(OWNER_KEY, None)
    return redirect(url_for("admin.login"), 303)


def current_viewer_is_owner() -> bool:
    mark = _owner_mark()
    return bool(mark) and hmac.compare_digest(browser_session.get(OWNER_KEY, ""), mark)


# What each outbox target is, in words an administrator recognises.
TARGET_NAMES = {
    "ags.score": lazy_gettext("Grades to the course gradebook"),
    "nrps.roster": lazy_gettext("Course participant lists"),
    "xapi.statement": lazy_gettext("Learning records (xAPI) to the organisation's LRS"),
    "plan.item": lazy_gettext("Completed items of development plans"),
    "moodle.competency": lazy_gettext("Completions to Moodle learning plans"),
    "hr.rest": lazy_gettext("Competence records to HR (web service)"),
    "hr.files": lazy_gettext("Competence records to HR (files)"),
}

JOB_NAMES = {
    "deliveries": lazy_gettext("Send grades, plan items and Moodle learning plan ratings"),
    "xapi-forwarding": lazy_gettext("Send learning records to the LRS"),
    "nrps-rosters": lazy_gettext("Fetch course participant lists"),
    "hr-poll": lazy_gettext("Fetch staff lists from HR"),
    "job-runs-cleanup": lazy_gettext("Forget old job runs"),
    "retention": lazy_gettext("Remove data past its retention period"),
    "hr-records": lazy_gettext("Send competence records to HR"),
    "moodle-completions": lazy_gettext("Fetch completed courses from Moodle"),
    "lrs-completions": lazy_gettext("Fetch completed activities from the LRS"),
}
TARGET_KIND_NAMES = {
    "moodle": lazy_gettext("Moodle learning plans"),
    "hr_rest": lazy_gettext("HR competence register (web service)"),
    "hr_files": lazy_gettext("HR competence register (files)"),
}
OUTCOME_NAMES = {
    "ok": lazy_gettext("Succeeded"),
    "failed": lazy_gettext("Failed"),
    "running": lazy_gettext("Running"),
    "skipped": lazy_gettext("Skipped"),
    "abandoned": lazy_gettext("Abandoned: the scheduler stopped during the run"),
}


def _job_ids() -> list[str]:
    return [spec.id for spec in configured_jobs(_settings()) if spec.enabled]


@bp.get("/jobs")
@owner_required
def jobs():
    """The scheduled jobs: when each last ran, how it went, and "run now"."""
    job_ids = _job_ids()
    session = db_session()
    return render_template(
        "admin/jobs.html",
        job_ids=job_ids,
        latest=latest_runs(session, job_ids),
        requested=requested_job_ids(session),
        job_names=JOB_NAMES,
        outcome_names=OUTCOME_NAMES,
    )


@bp.post("/jobs/<job_id>/run")
@owner_required
def run_job(job_id: str):
    if job_id not in _job_ids():
        abort(404)
    sync_admin.run_job_now(db_session(), job_id)
    flash(gettext("The job will start within a few seconds."))
    return redirect(url_for("admin.jobs"), 303)


@bp.get("/deliveries")
@admin_required
def deliveries():
    """What the tool sends to other systems: queued, delivered, and failed for good."""
    organisation_id = _organisation_id()
    session = db_session()
    counts = delivery_counts(session, organisation_id)
    targets = sorted({target for target, _status in counts} | set(TARGET_NAMES))
    return render_template(
        "admin/deliveries.html",
        viewer=g.viewer,
        targets=[(target, TARGET_NAMES.get(target, target)) for target in targets],
        counts=counts,
        statuses=list(DeliveryStatus),
        dead=dead_deliveries(session, organisation_id),
        target_names=TARGET_NAMES,
        record_stores=record_stores(session, organisation_id),
        sync_targets=sync_target_states(session, organisation_id),
        target_kind_names=TARGET_KIND_NAMES,
        now=utcnow(),
    )


def _viewers_or_404(model, row_id):
    """A row of the viewer's organisation (the instance owner sees every one), else 404:
    another organisation's target, store or delivery does not exist for this admin."""
    row = organisation_row(db_session(), model, row_id, _organisation_id())
    if row is None:
        abort(404)
    return row


@bp.post("/sync-targets/<int:target_id>/moodle-framework")
@admin_required
def create_moodle_framework(target_id: int):
    """Make the tool's competence framework in the target's Moodle (what is missing only)."""
    target = _viewers_or_404(SyncTarget, target_id)
    if target.kind != "moodle":
        abort(404)
    settings = _settings()
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=1)
    try:
        made = sync_admin.make_moodle_framework(db_session(), target, http, settings.secret_key)
    except sync_admin.MOODLE_REFUSALS as error:
        flash(
            gettext(
                "Moodle did not let the tool create the framework: %(reason)s. Check that the "
                "web-service token may use core_competency_create_competency_framework and "
                "core_competency_create_competency.",
                reason=str(error),
            )
        )
    else:
        flash(
            gettext(
                "The framework %(idnumber)s is in Moodle: %(created)d competences created, "
                '%(found)d were there already. Use "Try again" on failed deliveries to send '
                "what waited for them.",
                idnumber=made.idnumber,
                created=made.competencies_created,
                found=made.competencies_found,
            )
        )
    return redirect(url_for("admin.deliveries"), 303)


@bp.post("/sync-targets/<int:target_id>/resume")
@admin_required
def resume_sync_target(target_id: int):
    """An admin's "try now" once HR or Moodle is back: the target's waiting records are
    sent at the next run instead of after their backoff."""
    target = _viewers_or_404(SyncTarget, target_id)
    waiting = sync_admin.resume_sync_target(db_session(), target)
    flash(gettext("%(count)d records will be sent within a minute.", count=waiting))
    return redirect(url_for("admin.deliveries"), 303)


@bp.post("/record-stores/<int:lrs_id>/resume")
@admin_required
def resume_record_store(lrs_id: int):
    """An admin's "try now" once the LRS or its credentials are fixed."""
    lrs = _viewers_or_404(LrsEndpoint, lrs_id)
    waiting = sync_admin.resume_record_store(db_session(), lrs)
    flash(
        gettext(
            "%(count)d learning records will be sent to the LRS within a minute.", count=waiting
        )
    )
    return redirect(url_for("admin.deliveries"), 303)


@bp.post("/deliveries/<delivery_id>/retry")
@admin_required
def retry_delivery(delivery_id: str):
    _viewers_or_404(Delivery, delivery_id)
    if retry_dead_delivery(db_session(), delivery_id):
        flash(gettext("The delivery will be tried again within a minute."))
    return redirect(url_for("admin.deliveries"), 303)
