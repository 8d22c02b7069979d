"""Security headers, and a CSP that lets only registered platforms frame the tool."""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import SQLAlchemyError

from storage.organisations import enabled_platform_urls

ORIGIN_CACHE_SECONDS = 60
# An origin that cannot smuggle anything into the CSP header (no spaces, no ";").
_SAFE_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


class FrameAncestors:
    """Origins of enabled platform registrations, re-read at most once a minute."""

    def __init__(self) -> None:
        self._origins: tuple[str, ...] = ()
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def origins(self) -> tuple[str, ...]:
        if time.monotonic() - self._read_at < ORIGIN_CACHE_SECONDS:
            return self._origins
        with self._lock:
            try:
                # Its own connection: headers must not depend on, or disturb, the request's
                # transaction, and a database outage must not break every response.
                with current_app.extensions["database"].engine.connect() as connection:
                    rows = enabled_platform_urls(connection)
            except SQLAlchemyError:
                current_app.logger.warning("frame-ancestors: cannot read platforms", exc_info=True)
                return self._origins
            origins = {_origin(url) for row in rows for url in row}
            self._origins = tuple(sorted(origin for origin in origins if origin))
            self._read_at = time.monotonic()
        return self._origins

    def invalidate(self) -> None:
        self._read_at = float("-inf")


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    app.extensions["frame_ancestors"] = FrameAncestors()
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    platforms = current_app.extensions["frame_ancestors"].origins()
    # A platform registering itself (dynamic registration) frames the registration page
    # before it is registered: that page names its origin in g.
    framing = tuple(
        o
        for o in g.get("frame_ancestors_extra", ())
        if o not in platforms and _SAFE_ORIGIN.fullmatch(o)
    )
    ancestors = " ".join(("'self'", *platforms, *framing))
    # Forms may go to the registered platforms too (a deep-linking response is posted to the
    # platform's return URL), and to the one return URL a response page names (g).
    extra = tuple(
        origin
        for origin in g.get("form_action_origins", ())
        if origin not in platforms and _SAFE_ORIGIN.fullmatch(origin)
    )
    form_action = " ".join(("'self'", *platforms, *extra))
    # A response with a policy of its own (the JSON Statement API: nothing to load, never
    # framed) keeps it.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'none'; form-action {form_action}; "
        f"frame-ancestors {ancestors}",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    if current_app.config["PREFERRED_URL_SCHEME"] == "https":
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response
