"""Dev platform routes: pick a person and course, then a real OIDC launch into the tool."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti_tool.database import db_session
from lti_tool.dev_platform import links, platform
from lti_tool.i18n import LANGUAGES

bp = Blueprint("dev_platform", __name__, url_prefix="/dev-platform")
HINT_MAX_AGE = 300


def _settings():
    return current_app.config["SETTINGS"]


def _hints() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="dev-platform-message-hint")


def _key() -> platform.PlatformKey:
    key = current_app.extensions.get("dev_platform_key")
    if key is None:
        key = current_app.extensions["dev_platform_key"] = platform.PlatformKey(
            _settings().instance_path
        )
    return key


@bp.get("/")
def index():
    return render_template(
        "dev_platform/index.html",
        people=platform.PEOPLE,
        courses=platform.COURSES,
        created_links=links.LinkStore(_settings().instance_path).links(),
    )


@bp.get("/start")
def start():
    """The platform side of a launch: send the browser to the tool's login initiation."""
    person = platform.PEOPLE.get(request.args.get("person", ""))
    course = platform.COURSES.get(request.args.get("course", "digi101"))
    locale = request.args.get("locale", "sv")
    if person is None or course is None or locale not in LANGUAGES:
        abort(400)
    platform.register_before_launch(db_session(), _settings().public_url)
    public_url = _settings().public_url.rstrip("/")
    hint = _hints().dumps({"person": person.key, "course": course.key, "locale": locale})
    query = {
        "iss": platform.issuer(public_url),
        "login_hint": person.sub,
        "target_link_uri": public_url + "/lti/launch",
        "lti_message_hint": hint,
        "client_id": platform.CLIENT_ID,
        "lti_deployment_id": platform.DEPLOYMENT_ID,
    }
    return redirect(public_url + "/lti/login?" + urlencode(query), 302)


@bp.get("/auth")
def auth():
    """The authentication endpoint: checks the tool's request, answers with a signed id_token."""
    args = request.args
    public_url = _settings().public_url.rstrip("/")
    expected = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.CLIENT_ID,
        "redirect_uri": public_url + "/lti/launch",
    }
    if any(args.get(name) != value for name, value in expected.items()):
        abort(400)
    if not args.get("state") or not args.get("nonce"):
        abort(400)
    try:
        hint = _hints().loads(args.get("lti_message_hint", ""), max_age=HINT_MAX_AGE)
    except BadSignature:
        abort(400)
    person = platform.PEOPLE[hint["person"]]
    if args.get("login_hint") != person.sub:
        abort(400)
    claims = links.launch_or_deep_linking_claims(
        hint,
        links.LinkStore(_settings().instance_path),
        public_url=public_url,
        person=person,
        course=platform.COURSES[hint["course"]],
        nonce=args["nonce"],
        target_link_uri=expected["redirect_uri"],
        locale=hint["locale"],
    )
    return render_template(
        "dev_platform/form_post.html",
        action=expected["redirect_uri"],
        id_token=_key().sign(claims),
        state=args["state"],
    )


@bp.get("/jwks")
def jwks():
    return jsonify(keys=[_key().public_jwk])
