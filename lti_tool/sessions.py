"""Sessions that survive a browser without third-party cookies.

Inside a platform's iframe, Safari, and Chrome with third-party cookies
blocked, keep no cookie of ours.  After such a launch the signed session
travels with every link and form of the tool instead (`ls` in the query
string), the way the cookie would have.  Normal browsers keep using the cookie.

Both expire the same way: after `session_idle_minutes` without a request (every
response re-signs the session, so the signature's time is the last request's) and
`session_absolute_hours` after the launch however active (its time is in the session).
An expired session is not silently replaced: it is an ExpiredSession, so the page that
needed it tells the person their session ended and to open the tool again from Moodle.
The cookie itself is kept by the browser for the absolute lifetime, so that an idle
expiry is still recognised as one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, TimestampSigner

PARAMETER = "ls"
STARTED = "started_at"  # when the launch made this session (seconds since the epoch)


class UrlSession(SecureCookieSession):
    """A session that came, and goes on, in the URL rather than in a cookie."""

    carried_in_url = True


class ExpiredSession(SecureCookieSession):
    """A session that was valid once and has run out: empty, and says so."""

    expired = True


class ExpiredUrlSession(ExpiredSession, UrlSession):
    """An expired session that came in the URL: like its live form, it sets no cookie."""


class _ClockedSigner(TimestampSigner):
    """Signs with the session interface's clock, so signing and checking agree on the time."""

    def __init__(self, *args, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock())


class LaunchSessionInterface(SecureCookieSessionInterface):
    # Seconds since the epoch; tests replace it to age a session without sleeping.
    clock: Callable[[], float] = staticmethod(time.time)

    def get_signing_serializer(self, app: Flask):
        serializer = super().get_signing_serializer(app)
        if serializer is not None:
            serializer.signer = _ClockedSigner
            serializer.signer_kwargs = {**serializer.signer_kwargs, "clock": self.clock}
        return serializer

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        # Only the query string: forms post to URLs that carry it, and reading a body here
        # would break the request-size limit.
        in_url = request.args.get(PARAMETER)
        token = in_url or request.cookies.get(self.get_cookie_name(app))
        fresh, expired = (
            (UrlSession, ExpiredUrlSession) if in_url else (self.session_class, ExpiredSession)
        )
        if not token:
            return fresh()
        try:
            data, signed_at = serializer.loads(token, return_timestamp=True)
        except BadSignature:
            return fresh()
        settings = app.config["SETTINGS"]
        now = self.clock()
        idle = now - signed_at.timestamp()
        lived = now - data.get(STARTED, now)
        if (
            idle > settings.session_idle_minutes * 60
            or lived > settings.session_absolute_hours * 3600
        ):
            return expired()
        return fresh(data)

    def get_expiration_time(self, app: Flask, session_) -> datetime | None:
        if not session_.permanent:
            return None
        hours = app.config["SETTINGS"].session_absolute_hours
        return datetime.fromtimestamp(self.clock(), UTC) + timedelta(hours=hours)

    def save_session(self, app: Flask, session_, response) -> None:
        if getattr(session_, "carried_in_url", False) or g.get("session_in_url"):
            return  # no cookie: the links of the response carry the session
        if g.get("stateless"):
            return  # a program's request (the Statement API): no browser, no session
        super().save_session(app, session_, response)


def start() -> None:
    """A launch begins this session: its absolute lifetime counts from now."""
    session.permanent = True
    session[STARTED] = int(current_app.session_interface.clock())


def carry_in_url() -> None:
    """From now on this browser's session travels in URLs (a launch that had no cookie)."""
    g.session_in_url = True


def stateless() -> None:
    """This request is a program's, not a browser's: its response sets no session cookie."""
    g.stateless = True


def url_token() -> str | None:
    """The signed session for links and forms, when this browser has no cookie for it."""
    if not (getattr(session, "carried_in_url", False) or g.get("session_in_url")):
        return None
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return serializer.dumps(dict(session))


def init_app(app: Flask) -> None:
    app.session_interface = LaunchSessionInterface()
    app.jinja_env.globals["session_in_url"] = url_token

    @app.url_defaults
    def _add_session(endpoint: str, values: dict) -> None:
        if endpoint == "static" or PARAMETER in values:
            return
        token = url_token()
        if token:
            values[PARAMETER] = token
