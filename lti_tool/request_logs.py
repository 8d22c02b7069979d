"""Logs: one JSON object per line on stderr, each request's lines tied by a request id.

structlog renders every line, the tool's own and those of libraries through the standard
`logging` module (`current_app.logger`, werkzeug, APScheduler) alike, so an operator's log
collector parses one format.  Development (`make run`) gets the same lines for people.

Logs must not carry personal data or secrets.  The code logs ids and reason codes, never
names, e-mail addresses, tokens or query strings (the launch session `ls` travels in
them); as a second line of defence `redact` blanks fields with a sensitive name, the value
of every query parameter in a message but a few harmless ones (werkzeug's request line
of `kompetenslyft serve` carries invitation and registration tokens, say), and any
secret-bearing `name=value` that slips into other text.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from typing import TextIO
from urllib.parse import unquote_plus

import structlog
from flask import Flask, g, request
from flask.logging import default_handler

from config import Settings

HEADER = "X-Request-ID"
# An incoming id is kept when it is short and plain (a proxy's or load balancer's id), so
# one request can be followed through them; anything else is replaced by our own.
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
SENSITIVE = frozenset(
    (
        "authorization",
        "cookie",
        "id_token",
        "ls",
        "password",
        "secret",
        "token",
        "access_token",
        "client_secret",
        "state",
        "email",
        "name",
        "given_name",
        "family_name",
    )
)
_SECRET_PARAMETER = re.compile(
    r"((?:^|[?&\s])(?:ls|id_token|state|token|access_token|code|lti_message_hint|login_hint"
    r"|invitation|registration_token|openid_configuration)=)"
    r"[^&\s\"']+",
    re.IGNORECASE,
)
# A query string in a message (werkzeug's request line, an error naming a URL).  Its values
# are blanked but for these, which say which page and never whose or which secret: a new
# parameter is hidden until someone decides it is harmless, not shown until someone notices.
_QUERY = re.compile(r"\?([^\s\"'<>#?]+=[^\s\"'<>#]*)")
HARMLESS_PARAMETERS = frozenset(
    (
        "lang",
        "period",
        "split",
        "saved",
        "left",
        "retired",
        "imported",
        "dry_run",
        "format",
        "limit",
        "ascending",
        "attachments",
        "related_agents",
        "related_activities",
    )
)
REDACTED = "[redacted]"

access_log = structlog.get_logger("lti_tool.access")


def redact(_logger, _method, event: dict) -> dict:
    for key, value in event.items():
        if key.lower() in SENSITIVE:
            event[key] = REDACTED
        elif isinstance(value, str):
            value = _QUERY.sub(_blank_query_values, value)
            event[key] = _SECRET_PARAMETER.sub(r"\1" + REDACTED, value)
    return event


def _blank_query_values(query: re.Match) -> str:
    pairs = []
    for pair in query.group(1).split("&"):
        name, equals, value = pair.partition("=")
        if value and unquote_plus(name).strip().lower() not in HARMLESS_PARAMETERS:
            value = REDACTED
        pairs.append(name + equals + value)
    return "?" + "&".join(pairs)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route every log line of this process (web, CLI or scheduler) through structlog."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]
    if settings.logs_json:
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    shared.append(redact)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    handler.kompetenslyft = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "kompetenslyft", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # Flask's own handler would print the app's lines a second time, unformatted.
    logging.getLogger("lti_tool").removeHandler(default_handler)


def init_app(app: Flask) -> None:
    configure_logging(app.config["SETTINGS"])
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)


def _begin() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _end(response):
    request_id = g.get("request_id")
    if request_id is None:  # failed before _begin ran
        return response
    response.headers[HEADER] = request_id
    access_log.info(
        "request",
        method=request.method,
        path=request.path,  # never the query string: the session token travels there
        status=response.status_code,
        duration_ms=round((time.perf_counter() - g.request_started) * 1000, 1),
    )
    return response


def _forget(_error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()
