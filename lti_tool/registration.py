"""LTI Dynamic Registration: the page a platform administrator reaches from Moodle's Manage tools.

Who may register:

* with an invitation (`kompetenslyft platform invite`, or the admin pages): the platform joins
  the invitation's organisation.  Moodle appends its own parameters to the pasted URL, so the
  invitation token arrives together with `openid_configuration` and `registration_token`.
* with the instance's admin secret: typed into the page first; only then does the tool fetch
  anything or show which organisations exist, and the person picks one or names a new one.

Everything a platform sent is re-read and re-checked on the final POST; the pages only carry
the URL parameters along in hidden fields.  The protocol lives in `lti.dynamic_registration`.

No cookie is needed: Moodle shows these pages in an iframe of its admin page, and with the
tool on another site a browser blocking third-party cookies keeps none of the tool's.  Each
form carries a signed token bound to its registration instead of the session's CSRF token
(`dynreg.form_token`), and whether the admin secret was typed travels in that token.
"""

from __future__ import annotations

import hmac

from flask import (
    Blueprint,
    current_app,
    g,
    render_template,
    request,
)
from flask import session as flask_session
from flask_babel import gettext

from lti import dynamic_registration as dynreg
from lti import registration_invitations as invitations
from lti import registration_store
from lti.platforms import NewOrganisation
from lti_tool import csrf
from lti_tool.database import db_session
from lti_tool.input_limits import whole_number
from outbound.http_client import make_http_session
from storage import Organisation
from storage.organisations import organisation_row, organisations_by_name

bp = Blueprint("registration", __name__)
# The parameters of the registration shown last, so that choosing a language keeps them
# (a convenience for browsers that keep the cookie; nothing depends on it).
PENDING_KEY = "registration_pending"
NEW_ORGANISATION = "new"
FORM_FIELD = "registration_form"
# The forms carry their own signed token (dynreg.form_token), not the session's CSRF token.
csrf.EXEMPT_ENDPOINTS.add("registration.register")


@bp.record_once
def _setup(state) -> None:
    settings = state.app.config["SETTINGS"]
    state.app.extensions["registration_http"] = make_http_session(
        timeout=settings.http_timeout_seconds
    )


def _settings():
    return current_app.config["SETTINGS"]


@bp.route("/lti/register", methods=["GET", "POST"])
def register():
    params = request.form if request.method == "POST" else request.args
    carried = {name: params.get(name, "").strip() for name in dynreg.CARRIED}
    if request.method == "GET":
        if any(carried.values()):
            flask_session[PENDING_KEY] = carried
        elif "lang" in request.args and flask_session.get(PENDING_KEY):
            # The language links lead to this path without the platform's parameters.
            carried = dict(flask_session[PENDING_KEY])
    settings = _settings()
    require_https = settings.is_production
    session = db_session()

    if not carried["openid_configuration"]:
        if carried["invitation"] and request.method == "GET":
            # The invitation link opened in a browser: say where to paste it.
            invitation = invitations.valid_invitation(session, carried["invitation"])
            return render_template(
                "registration/instructions.html",
                organisation=_organisation_of(invitation),
                registration_url=invitations.invitation_url(
                    settings.public_url, carried["invitation"]
                ),
            )
        raise dynreg.RegistrationRefused("missing_configuration_url")
    platform_origin = dynreg.check_configuration_url(
        carried["openid_configuration"], require_https=require_https
    )
    # Moodle shows this page in an iframe of its admin page: let that platform frame it.
    g.frame_ancestors_extra = (platform_origin,)
    registration_store.check_token_unused(session, carried["registration_token"] or None)
    authorised = False
    if request.method == "POST":
        authorised = dynreg.check_form_token(
            current_app.secret_key, request.form.get(FORM_FIELD, ""), carried
        )

    if carried["invitation"]:
        configuration, updating = None, None
        if registration_store.is_update_token(carried["registration_token"]):
            configuration = _fetch(carried)
            updating = _update_target(configuration, carried)
        invitation = invitations.valid_invitation(session, carried["invitation"], updating=updating)
        if request.method == "GET":
            return render_template(
                "registration/confirm.html",
                carried=carried,
                form_token=_form_token(carried),
                configuration=configuration or _fetch(carried),
                organisation=updating.organisation if updating else _organisation_of(invitation),
                updating=updating,
            )
        return _complete(carried, invitation=invitation)

    if not settings.admin_secret:
        raise dynreg.RegistrationRefused("invitation_required")
    step = request.form.get("step") if request.method == "POST" else None
    if step == "secret":
        if not _secret_matches(request.form.get("admin_secret", "")):
            return _secret_form(carried, platform_origin, error=True), 403
        configuration = _fetch(carried)
        return _organisation_form(carried, configuration)
    if step == "register":
        if not authorised:
            raise dynreg.RegistrationRefused("not_authorised")
        return _complete(carried, invitation=None)
    return _secret_form(carried, platform_origin)


def _fetch(carried: dict) -> dynreg.PlatformConfiguration:
    return dynreg.fetch_configuration(
        current_app.extensions["registration_http"],
        carried["openid_configuration"],
        carried["registration_token"] or None,
        require_https=_settings().is_production,
    )


def _complete(carried: dict, invitation):
    """Final POST: choose the organisation, register with the platform, store, say it is done."""
    session = db_session()
    configuration = _fetch(carried)
    updating = _update_target(configuration, carried)
    if updating is not None and invitation is not None:
        # Checked again: the organisation's, and an invitation spent once is not spent again.
        invitations.valid_invitation(session, carried["invitation"], updating=updating)
        invitation = None
        organisation = updating.organisation
    elif updating is not None:
        organisation = updating.organisation
    else:
        organisation = _organisation_of(invitation) if invitation is not None else None
    new_name = request.form.get("organisation_name", "").strip()
    if organisation is None:
        chosen = request.form.get("organisation", NEW_ORGANISATION)
        if invitation is None and chosen != NEW_ORGANISATION:
            organisation = organisation_row(session, Organisation, whole_number(chosen) or 0, None)
            if organisation is None:
                return _organisation_form(carried, configuration, error="organisation"), 400
        elif not new_name:
            if invitation is not None:
                return render_template(
                    "registration/confirm.html",
                    carried=carried,
                    form_token=_form_token(carried),
                    configuration=configuration,
                    organisation=None,
                    error="organisation_name",
                ), 400
            return _organisation_form(carried, configuration, error="organisation_name"), 400

    body = dynreg.tool_configuration(
        _settings().public_url,
        description=gettext(
            "Self-assessment and development of staff digital competence (DigComp 2.2)."
        ),
        logo_uri=_public("/static/logo.svg"),
    )
    result = dynreg.send_registration(
        current_app.extensions["registration_http"],
        configuration,
        carried["registration_token"] or None,
        body,
    )
    stored = registration_store.complete_registration(
        session,
        organisation=organisation or NewOrganisation(new_name),
        configuration=configuration,
        result=result,
        registration_token=carried["registration_token"] or None,
        invitation=invitation,
    )
    registration, organisation = stored.registration, stored.organisation
    flask_session.pop(PENDING_KEY, None)
    current_app.extensions["frame_ancestors"].invalidate()
    current_app.logger.info(
        "%s platform %s client %s deployment %s for organisation %s",
        "updated" if stored.updated else "registered",
        registration.issuer,
        registration.client_id,
        result.deployment_id,
        organisation.slug,
    )
    return render_template(
        "registration/done.html",
        registration=registration,
        updated=stored.updated,
        deployment_id=result.deployment_id,
        organisation_name=organisation.name,
        configuration=configuration,
    )


def _update_target(configuration, carried: dict):
    """The registration Moodle's "Update" is for, if this is one."""
    return registration_store.update_target(
        db_session(), configuration.issuer, carried["registration_token"] or None
    )


def _secret_form(carried: dict, platform_origin: str, error: bool = False) -> str:
    return render_template(
        "registration/secret.html",
        carried=carried,
        form_token=_form_token(carried),
        platform_origin=platform_origin,
        error=error,
    )


def _organisation_form(carried: dict, configuration, error: str | None = None) -> str:
    organisations = organisations_by_name(db_session())
    return render_template(
        "registration/organisation.html",
        updating=_update_target(configuration, carried),
        carried=carried,
        # Only shown once the admin secret was typed: step 2 may register.
        form_token=_form_token(carried, authorised=True),
        configuration=configuration,
        organisations=organisations,
        chosen=request.form.get("organisation", NEW_ORGANISATION),
        new_name=request.form.get("organisation_name", ""),
        error=error,
    )


def _organisation_of(invitation) -> Organisation | None:
    if invitation.organisation_id is None:
        return None
    return organisation_row(db_session(), Organisation, invitation.organisation_id, None)


def _secret_matches(typed: str) -> bool:
    expected = _settings().admin_secret
    return bool(expected) and hmac.compare_digest(typed.encode(), expected.encode())


def _form_token(carried: dict, authorised: bool = False) -> str:
    return dynreg.form_token(current_app.secret_key, carried, authorised=authorised)


def _public(path: str) -> str:
    return _settings().public_url.rstrip("/") + path
