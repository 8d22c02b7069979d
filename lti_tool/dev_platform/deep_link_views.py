"""Dev platform routes for deep linking: "Add activity" as a teacher, the return endpoint
that receives the tool's response, and launches into the activities created that way."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import requests
from flask import abort, current_app, redirect, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from lti import claims as c
from lti_tool.database import db_session
from lti_tool.dev_platform import links, platform
from lti_tool.dev_platform.views import _hints, _settings, bp
from lti_tool.i18n import LANGUAGES
from outbound.http_client import make_http_session

DATA_MAX_AGE = 3600  # how long a teacher may spend choosing, in seconds


def _data() -> URLSafeTimedSerializer:
    """Signs the request's `data`: the tool echoes it, and it says which course asked."""
    return URLSafeTimedSerializer(current_app.secret_key, salt="dev-platform-deep-linking-data")


def _store() -> links.LinkStore:
    return links.LinkStore(_settings().instance_path)


def _login(person: platform.FakePerson, hint: dict):
    """Send the browser to the tool's login initiation, as `start` does."""
    platform.register_before_launch(db_session(), _settings().public_url)
    public_url = _settings().public_url.rstrip("/")
    query = {
        "iss": platform.issuer(public_url),
        "login_hint": person.sub,
        "target_link_uri": public_url + "/lti/launch",
        "lti_message_hint": _hints().dumps({"person": person.key, **hint}),
        "client_id": platform.CLIENT_ID,
        "lti_deployment_id": platform.DEPLOYMENT_ID,
    }
    return redirect(public_url + "/lti/login?" + urlencode(query), 302)


def _person_and_locale() -> tuple[platform.FakePerson, str]:
    person = platform.PEOPLE.get(request.args.get("person", ""))
    locale = request.args.get("locale", "sv")
    if person is None or locale not in LANGUAGES:
        abort(400)
    return person, locale


@bp.get("/deep-link/start")
def start_deep_link():
    """ "Add activity": a deep-linking request into the tool for the chosen course."""
    person, locale = _person_and_locale()
    course = platform.COURSES.get(request.args.get("course", "digi101"))
    if course is None:
        abort(400)
    data = _data().dumps({"course": course.key, "request": secrets.token_hex(8)})
    return _login(
        person,
        {"course": course.key, "locale": locale, "message": c.DEEP_LINKING_REQUEST, "data": data},
    )


@bp.get("/links/<link_id>/start")
def start_link(link_id: str):
    """Launch into an activity created through deep linking."""
    person, locale = _person_and_locale()
    link = _store().get(link_id)
    if link is None or link.course not in platform.COURSES:
        abort(404)
    return _login(person, {"course": link.course, "locale": locale, "link": link.id})


@bp.post("/deep-link-return")
def deep_link_return():
    """The platform's deep_link_return_url: verify the tool's response, keep what it created."""
    token = request.form.get("JWT", "")
    public_url = _settings().public_url.rstrip("/")
    try:
        jwks = _tool_jwks(public_url)
        body = links.verify_response(
            token, jwks, public_url=public_url, leeway=_settings().jwt_leeway_seconds
        )
        course = _course_of(body.get(links.DATA))
        if not _store().use_nonce(body["nonce"], int(body["exp"])):
            raise links.ResponseRefused("nonce_replayed")
    except links.ResponseRefused as refused:
        return render_template("dev_platform/deep_link_return.html", refused=refused.reason), 400
    items = body.get(links.CONTENT_ITEMS, [])
    created = [
        _store().add(course.key, item) for item in items if item.get("type") == "ltiResourceLink"
    ]
    return render_template(
        "dev_platform/deep_link_return.html",
        refused=None,
        course=course,
        created=created,
        message=body.get("https://purl.imsglobal.org/spec/lti-dl/claim/msg"),
        error=body.get("https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"),
    )


def _tool_jwks(public_url: str) -> dict:
    """The tool's public keys, fetched over HTTP as any platform does."""
    http = make_http_session(timeout=_settings().http_timeout_seconds)
    try:
        answer = http.get(public_url + "/.well-known/jwks.json")
        answer.raise_for_status()
        return answer.json()
    except (requests.RequestException, ValueError) as error:
        raise links.ResponseRefused("tool_keys_unavailable") from error
    finally:
        http.close()


def _course_of(data: object) -> platform.FakeCourse:
    if not isinstance(data, str):
        raise links.ResponseRefused("data_not_echoed")
    try:
        course_key = _data().loads(data, max_age=DATA_MAX_AGE)["course"]
    except (BadSignature, TypeError, KeyError) as error:
        raise links.ResponseRefused("data_not_echoed") from error
    course = platform.COURSES.get(course_key)
    if course is None:
        raise links.ResponseRefused("data_not_echoed")
    return course
