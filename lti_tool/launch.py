"""LTI 1.3 endpoints: login initiation, launch, and the tool's public keys.

Only translation between Flask and `lti` happens here; every decision about
whether a launch is valid is made in `lti.message_launch`.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from pylti1p3.contrib.flask import FlaskCookieService, FlaskRequest, FlaskSessionService

from lti.browser_binding import Binding, BrowserEvidence, NeedsPlatformStorage, storage_key
from lti.errors import LaunchRejected
from lti.launch_records import accept_launch, record_launch_error
from lti.link_settings import link_locale
from lti.login import start_login, switch_to_cookieless
from lti.message_launch import ToolMessageLaunch, decode_unverified
from lti.platforms import login_origin
from lti.tool_keys import published_keys
from lti_tool import metrics
from lti_tool.csrf import csrf_token
from lti_tool.database import db_session
from lti_tool.rate_limits import limit_client
from lti_tool.sessions import carry_in_url
from lti_tool.sessions import start as start_session

bp = Blueprint("lti", __name__)
STATE_COOKIE_PREFIX = "lti-state-"


def launch_url() -> str:
    """The one redirect URI registered with platforms (Moodle matches it exactly)."""
    return current_app.config["SETTINGS"].public_url.rstrip("/") + "/lti/launch"


@bp.route("/lti/login", methods=["GET", "POST"])
def login():
    limit_client("login", "rate_limit_login_per_minute")
    settings = current_app.config["SETTINGS"]
    params = request.form if request.method == "POST" else request.args
    session_ = db_session()
    login_redirect = start_login(
        params,
        session_,
        launch_url=launch_url(),
        lifetime=timedelta(seconds=settings.login_state_seconds),
        user_agent=request.user_agent.string,
    )
    if login_redirect.binding is Binding.PLATFORM_STORAGE:
        # The platform keeps a secret for us in its own window (LTI client-side
        # postMessages); the launch reads it back instead of relying on a cookie.
        response = current_app.make_response(
            render_template(
                "launch/platform_storage.html",
                mode="put",
                target=login_redirect.storage_target,
                origin=login_redirect.platform_origin,
                key=storage_key(login_redirect.state),
                value=login_redirect.browser_secret,
                auth_url=login_redirect.url,
            )
        )
    elif (settings.uses_https or _framed_cross_site()) and not params.get("lti1p3_new_window"):
        # Inside a platform's iframe the browser may refuse our cookies; a small page
        # checks, and without a cookie the login continues bound to this browser otherwise.
        response = current_app.make_response(
            render_template(
                "launch/continue.html",
                auth_url=login_redirect.url,
                state=login_redirect.state,
                cookieless_url=url_for("lti.cookieless"),
                new_window_url=request.base_url
                + "?"
                + urlencode({**params.to_dict(), "lti1p3_new_window": "1"}),
            )
        )
        response.set_cookie(
            "lti-cookie-check",
            "1",
            max_age=60,
            secure=settings.uses_https,
            samesite="None" if settings.uses_https else "Lax",
        )
    else:
        response = redirect(login_redirect.url, 302)
    _set_state_cookie(response, login_redirect.state, settings)
    return response


@bp.post("/lti/login/cookieless")
def cookieless():
    """Called by the cookie check when this browser kept no cookie of ours."""
    state = request.form.get("state", "")
    switched = switch_to_cookieless(db_session(), state, request.user_agent.string)
    return jsonify(switched=switched), (200 if switched else 409)


def _framed_cross_site() -> bool:
    """A login posted inside another site's iframe (browsers say so in Sec-Fetch-* headers)."""
    return (
        request.headers.get("Sec-Fetch-Dest") == "iframe"
        and request.headers.get("Sec-Fetch-Site") == "cross-site"
    )


@bp.post("/lti/launch")
def launch():
    limit_client("launch", "rate_limit_launch_per_minute")
    settings = current_app.config["SETTINGS"]
    g.launch_locale = _unverified_locale(request.form.get("id_token", ""))
    state = request.form.get("state", "")
    session_ = db_session()
    flask_request = FlaskRequest(request_data=request.form.to_dict())
    launching = ToolMessageLaunch(
        flask_request,
        session_,
        current_app.extensions["platform_keys"],
        evidence=BrowserEvidence(
            state_cookie=request.cookies.get(STATE_COOKIE_PREFIX + state) if state else None,
            storage_proof=request.form.get("state_proof"),
            user_agent=request.user_agent.string,
        ),
        leeway=timedelta(seconds=settings.jwt_leeway_seconds),
        max_token_bytes=settings.max_id_token_bytes,
        tool_url=settings.public_url,
        cookie_service=FlaskCookieService(flask_request),
        session_service=FlaskSessionService(flask_request),
    )
    try:
        message_launch = launching.validate()
    except NeedsPlatformStorage as needs:
        return render_template(
            "launch/platform_storage.html",
            mode="get",
            target=needs.storage_target,
            origin=login_origin(session_, launching.login_registration_id),
            key=storage_key(needs.state),
            id_token=request.form.get("id_token", ""),
            state=needs.state,
            action=url_for("lti.launch"),
        )
    except LaunchRejected as rejected:
        if launching.login_registration_id is not None:
            record_launch_error(session_, launching.login_registration_id, str(rejected))
        raise
    launch_record = accept_launch(
        session_,
        message_launch.registration,
        message_launch.deployment_row,
        message_launch.get_launch_data(),
    )
    metrics.launch_accepted()
    chosen_locale = session.get("locale")
    session.clear()
    start_session()
    session["launch_id"] = launch_record.id
    # A link made for one language (custom `locale`) speaks it unless the person chose.
    session["launch_locale"] = link_locale(launch_record.resource_link) or launch_record.locale
    if chosen_locale:
        session["locale"] = chosen_locale
    if message_launch.binding is not Binding.COOKIE:
        carry_in_url()
    csrf_token()
    response = redirect(url_for("home.index"), 303)
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
