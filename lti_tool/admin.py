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
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lti import dynamic_registration as dynreg
from lti.claims import primary_role
from lti_tool import sessions
from lti_tool.auth import current_launch
from lti_tool.database import db_session
from lti_tool.input_limits import whole_number
from outbound.http_client import make_http_session
from storage import Delivery, DeliveryStatus, LrsEndpoint, Organisation, PlatformRegistration
from storage.completions import TARGET_OF_KIND, SyncTarget
from storage.database import utcnow
from storage.jobs import JobLease, latest_runs, request_run
from storage.lrs import CredentialsUnavailable
from storage.outbox import dead_deliveries, delivery_counts, revive
from storage.platform_activity import last_grades_sent
from sync.hr_delivery import resume_target
from sync.moodle_frameworks import create_framework_in_moodle
from sync.moodle_ws import MoodleError, MoodleUnavailable
from sync.scheduler import configured_jobs
from sync.xapi_forwarding import resume as resume_forwarding

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


def _index_page(invite_error: str | None = None):
    viewer: Viewer = g.viewer
    query = (
        select(PlatformRegistration)
        .join(PlatformRegistration.organisation)
        .options(
            selectinload(PlatformRegistration.deployments),
            selectinload(PlatformRegistration.organisation),
        )
        .order_by(Organisation.name, PlatformRegistration.issuer, PlatformRegistration.id)
    )
    if not viewer.owner:
        query = query.where(PlatformRegistration.organisation_id == viewer.organisation.id)
    database = db_session()
    registrations = database.scalars(query).all()
    grades_sent = last_grades_sent(database, (r.id for r in registrations))
    organisations = (
        database.scalars(select(Organisation).order_by(Organisation.name)).all()
        if viewer.owner
        else []
    )
    return render_template(
        "admin/registrations.html",
        viewer=viewer,
        registrations=registrations,
        grades_sent=grades_sent,
        organisations=organisations,
        invite_error=invite_error,
        chosen=request.form.get("organisation", "new"),
        new_name=request.form.get("organisation_name", ""),
        days=request.form.get("days", str(dynreg.DEFAULT_INVITATION_DAYS)),
    )


@bp.post("/registrations/<int:registration_id>/enabled")
@admin_required
def set_enabled(registration_id: int):
    database = db_session()
    registration = database.get(PlatformRegistration, registration_id)
    viewer: Viewer = g.viewer
    if registration is None or (
        not viewer.owner and registration.organisation_id != viewer.organisation.id
    ):
        abort(404)
    enabled = request.form.get("enabled") == "1"
    registration.enabled = enabled
    database.commit()
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
    database = db_session()
    days_text = request.form.get("days", "").strip()
    days = whole_number(days_text) or 0
    if not 1 <= days <= MAX_INVITATION_DAYS:
        return _index_page(invite_error="days"), 400
    chosen = request.form.get("organisation", "new")
    if chosen == "new":
        name = request.form.get("organisation_name", "").strip()
        if not name:
            return _index_page(invite_error="organisation_name"), 400
        organisation = dynreg.new_organisation(database, name)
    else:
        organisation = database.get(Organisation, whole_number(chosen) or 0)
        if organisation is None:
            return _index_page(invite_error="organisation"), 400
    token, invitation = dynreg.create_invitation(database, organisation, days)
    organisation_name = organisation.name
    database.commit()
    current_app.logger.info("invitation %s created for %s", invitation.id, organisation.slug)
    response = current_app.make_response(
        render_template(
            "admin/invitation.html",
            url=dynreg.invitation_url(_settings().public_url, token),
            organisation_name=organisation_name,
            expires_at=invitation.expires_at,
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
    session[OWNER_KEY] = _owner_mark()
    sessions.start()
    return redirect(url_for("admin.index"), 303)


@bp.post("/logout")
def logout():
    session.pop(OWNER_KEY, None)
    return redirect(url_for("admin.login"), 303)


def current_viewer_is_owner() -> bool:
    mark = _owner_mark()
    return bool(mark) and hmac.compare_digest(session.get(OWNER_KEY, ""), mark)


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
    database = db_session()
    return render_template(
        "admin/jobs.html",
        job_ids=job_ids,
        latest=latest_runs(database, job_ids),
        requested={
            lease.job_id
            for lease in database.scalars(
                select(JobLease).where(JobLease.requested_at.is_not(None))
            )
        },
        job_names=JOB_NAMES,
        outcome_names=OUTCOME_NAMES,
    )


@bp.post("/jobs/<job_id>/run")
@owner_required
def run_job(job_id: str):
    if job_id not in _job_ids():
        abort(404)
    database = db_session()
    request_run(database, job_id)
    database.commit()
    flash(gettext("The job will start within a few seconds."))
    return redirect(url_for("admin.jobs"), 303)


@bp.get("/deliveries")
@admin_required
def deliveries():
    """What the tool sends to other systems: queued, delivered, and failed for good."""
    organisation_id = None if g.viewer.owner else g.viewer.organisation.id
    database = db_session()
    counts = delivery_counts(database, organisation_id)
    targets = sorted({target for target, _status in counts} | set(TARGET_NAMES))
    return render_template(
        "admin/deliveries.html",
        viewer=g.viewer,
        targets=[(target, TARGET_NAMES.get(target, target)) for target in targets],
        counts=counts,
        statuses=list(DeliveryStatus),
        dead=dead_deliveries(database, organisation_id),
        target_names=TARGET_NAMES,
        record_stores=_visible_record_stores(database, organisation_id),
        sync_targets=_sync_target_states(database, organisation_id),
        target_kind_names=TARGET_KIND_NAMES,
        now=utcnow(),
    )


@dataclass(frozen=True)
class SyncTargetState:
    target: SyncTarget
    counts: dict[DeliveryStatus, int]
    # The reason of its latest delivery that failed for good: a later success elsewhere
    # clears `last_error`, but what failed still has to be seen.
    dead_reason: str | None = None


def _sync_target_states(database, organisation_id: int | None) -> list[SyncTargetState]:
    """Each visible sync target with its own queue: waiting, delivered, failed."""
    query = select(SyncTarget).options(selectinload(SyncTarget.organisation))
    if organisation_id is not None:
        query = query.where(SyncTarget.organisation_id == organisation_id)
    states = []
    for target in database.scalars(query.order_by(SyncTarget.id)):
        counts = database.execute(
            select(Delivery.status, func.count())
            .where(
                Delivery.target == TARGET_OF_KIND[target.kind],
                Delivery.key.startswith(f"{target.id}:"),
            )
            .group_by(Delivery.status)
        )
        counts = dict(counts.all())
        dead_reason = None
        if counts.get(DeliveryStatus.DEAD):
            dead_reason = database.scalar(
                select(Delivery.last_error)
                .where(
                    Delivery.target == TARGET_OF_KIND[target.kind],
                    Delivery.key.startswith(f"{target.id}:"),
                    Delivery.status == DeliveryStatus.DEAD,
                )
                .order_by(Delivery.created_at.desc())
                .limit(1)
            )
        states.append(SyncTargetState(target, counts, dead_reason))
    return states


def _viewers_or_404(row):
    """A row of the viewer's organisation (the instance owner sees every one), else 404:
    another organisation's target, store or delivery does not exist for this admin."""
    if row is None or not (g.viewer.owner or row.organisation_id == g.viewer.organisation.id):
        abort(404)
    return row


@bp.post("/sync-targets/<int:target_id>/moodle-framework")
@admin_required
def create_moodle_framework(target_id: int):
    """Make the tool's competence framework in the target's Moodle (what is missing only)."""
    database = db_session()
    target = _viewers_or_404(database.get(SyncTarget, target_id))
    if target.kind != "moodle":
        abort(404)
    settings = _settings()
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=1)
    try:
        made = create_framework_in_moodle(database, target, http, settings.secret_key)
    except (MoodleError, MoodleUnavailable, CredentialsUnavailable) as error:
        database.rollback()
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
    database = db_session()
    target = _viewers_or_404(database.get(SyncTarget, target_id))
    waiting = resume_target(database, target)
    database.commit()
    flash(gettext("%(count)d records will be sent within a minute.", count=waiting))
    return redirect(url_for("admin.deliveries"), 303)


def _visible_record_stores(database, organisation_id: int | None) -> list[LrsEndpoint]:
    query = select(LrsEndpoint).options(selectinload(LrsEndpoint.organisation))
    if organisation_id is not None:
        query = query.where(LrsEndpoint.organisation_id == organisation_id)
    return list(database.scalars(query.order_by(LrsEndpoint.id)))


@bp.post("/record-stores/<int:lrs_id>/resume")
@admin_required
def resume_record_store(lrs_id: int):
    """An admin's "try now" once the LRS or its credentials are fixed."""
    database = db_session()
    lrs = _viewers_or_404(database.get(LrsEndpoint, lrs_id))
    waiting = resume_forwarding(database, lrs)
    database.commit()
    flash(
        gettext(
            "%(count)d learning records will be sent to the LRS within a minute.", count=waiting
        )
    )
    return redirect(url_for("admin.deliveries"), 303)


@bp.post("/deliveries/<delivery_id>/retry")
@admin_required
def retry_delivery(delivery_id: str):
    database = db_session()
    _viewers_or_404(database.get(Delivery, delivery_id))
    if revive(database, delivery_id):
        database.commit()
        flash(gettext("The delivery will be tried again within a minute."))
    return redirect(url_for("admin.deliveries"), 303)
