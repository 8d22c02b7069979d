"""Sessions that survive a browser without third-party cookies.

Inside a platform's iframe, Safari, and Chrome with third-party cookies
blocked, keep no cookie of ours.  After such a launch the signed session
travels with every link and form of the tool instead (`ls` in the query
string), the way the cookie would have.  Normal browsers keep using the cookie.
"""

from __future__ import annotations

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

PARAMETER = "ls"


class UrlSession(SecureCookieSession):
    """A session that came, and goes on, in the URL rather than in a cookie."""

    carried_in_url = True


class LaunchSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        # Only the query string: forms post to URLs that carry it, and reading a body here
        # would break the request-size limit.
        token = request.args.get(PARAMETER)
        serializer = self.get_signing_serializer(app)
        if token and serializer is not None:
            try:
                data = serializer.loads(
                    token, max_age=int(app.permanent_session_lifetime.total_seconds())
                )
            except BadSignature:
                return UrlSession()
            return UrlSession(data)
        return super().open_session(app, request)

    def save_session(self, app: Flask, session_, response) -> None:
        if getattr(session_, "carried_in_url", False) or g.get("session_in_url"):
            return  # no cookie: the links of the response carry the session
        if g.get("stateless"):
            return  # a program's request (the Statement API): no browser, no session
        super().save_session(app, session_, response)


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
