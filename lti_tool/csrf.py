"""CSRF protection for the tool's own forms.

A random token lives in the session and in every form; a POST without the
matching token is refused.  The LTI endpoints are exempt: a platform posts to
them cross-site by design, and state, nonce and signature protect them.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, request, session

# The dev platform's deep-linking return is posted by the tool's own page, like a platform's:
# the signed response (and its one-time nonce) protects it.
EXEMPT_ENDPOINTS = {"lti.login", "lti.launch", "lti.cookieless", "dev_platform.deep_link_return"}
FIELD = "csrf_token"
# Endpoints that take a file get a larger body limit than the app's (sized for launches),
# set before this check reads the form.
UPLOAD_LIMITS: dict[str, int] = {}


def init_app(app: Flask) -> None:
    app.before_request(_check)
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def _check() -> None:
    if request.endpoint in UPLOAD_LIMITS:
        request.max_content_length = UPLOAD_LIMITS[request.endpoint]
    if request.method in {"GET", "HEAD", "OPTIONS"} or request.endpoint in EXEMPT_ENDPOINTS:
        return
    if request.routing_exception is not None:
        return  # no such page, or not by this method: no form is taken, say what is wrong
    sent = request.form.get(FIELD, "")
    expected = session.get(FIELD, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="csrf")
