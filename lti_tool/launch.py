"""LTI 1.3 endpoints: login initiation, launch, and the tool's public keys.

Only translation between Flask and `lti` happens here; every decision about
whether a launch is valid is made in `lti.message_launch`.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, session
from pylti1p3.contrib.flask import FlaskCookieService, FlaskRequest, FlaskSessionService

from lti.errors import LaunchRejected
from lti.launch_records import record_launch, record_launch_error
from lti.login import start_login
from lti.message_launch import ToolMessageLaunch, decode_unverified
from lti.tool_keys import published_keys
from lti_tool.database import db_session

bp = Blueprint("lti", __name__)
STATE_COOKIE_PREFIX = "lti-state-"


def launch_url() -> str:
    """The one redirect URI registered with platforms (Moodle matches it exactly)."""
    return current_app.config["SETTINGS"].public_url.rstrip("/") + "/lti/launch"


@bp.route("/lti/login", methods=["GET", "POST"])
def login():
    settings = current_app.config["SETTINGS"]
    params = request.form if request.method == "POST" else request.args
    session_ = db_session()
    login_redirect = start_login(
        params,
        session_,
        launch_url=launch_url(),
        lifetime=timedelta(seconds=settings.login_state_seconds),
    )
    session_.commit()
    if settings.uses_https and not params.get("lti1p3_new_window"):
        # Inside a platform's iframe the browser may refuse our cookies; a small page
        # checks that first and offers a new window instead of failing later.
        retry_params = {**params.to_dict(), "lti1p3_new_window": "1"}
        response = current_app.make_response(
            render_template(
                "launch/continue.html",
                auth_url=login_redirect.url,
                new_window_url=request.base_url + "?" + urlencode(retry_params),
            )
        )
        response.set_cookie("lti-cookie-check", "1", max_age=60, secure=True, samesite="None")
    else:
        response = redirect(login_redirect.url, 302)
    _set_state_cookie(response, login_redirect.state, settings)
    return response


@bp.post("/lti/launch")
def launch():
    settings = current_app.config["SETTINGS"]
    g.launch_locale = _unverified_locale(request.form.get("id_token", ""))
    state = request.form.get("state", "")
    session_ = db_session()
    flask_request = FlaskRequest(request_data=request.form.to_dict())
    launching = ToolMessageLaunch(
        flask_request,
        session_,
        current_app.extensions["platform_keys"],
        state_cookie=request.cookies.get(STATE_COOKIE_PREFIX + state) if state else None,
        leeway=timedelta(seconds=settings.jwt_leeway_seconds),
        max_token_bytes=settings.max_id_token_bytes,
        cookie_service=FlaskCookieService(flask_request),
        session_service=FlaskSessionService(flask_request),
    )
    try:
        message_launch = launching.validate()
    except LaunchRejected as rejected:
        session_.rollback()
        if launching.login_registration_id is not None:
            record_launch_error(session_, launching.login_registration_id, str(rejected))
            session_.commit()
        raise
    launch_record = record_launch(
        session_,
        message_launch.registration,
        message_launch.deployment_row,
        message_launch.get_launch_data(),
    )
    session_.commit()
    chosen_locale = session.get("locale")
    session.clear()
    session.permanent = True
    session["launch_id"] = launch_record.id
    session["launch_locale"] = launch_record.locale
    if chosen_locale:
        session["locale"] = chosen_locale
    response = redirect("/", 303)
    response.delete_cookie(STATE_COOKIE_PREFIX + state, path="/lti/")
    return response


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks():
    settings = current_app.config["SETTINGS"]
    keys = published_keys(db_session(), timedelta(days=settings.key_grace_days))
    response = jsonify(keys=keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _set_state_cookie(response, state: str, settings) -> None:
    response.set_cookie(
        STATE_COOKIE_PREFIX + state,
        state,
        max_age=settings.login_state_seconds,
        path="/lti/",
        httponly=True,
        secure=settings.uses_https,
        samesite="None" if settings.uses_https else "Lax",
    )


def _unverified_locale(token: str) -> str | None:
    """The launch's language, read before validation so a refusal speaks it too."""
    try:
        _header, body = decode_unverified(token)
    except LaunchRejected:
        return None
    presentation = body.get("https://purl.imsglobal.org/spec/lti/claim/launch_presentation")
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    return locale if isinstance(locale, str) else None
