"""The embedded xAPI Statement API: an organisation's statements, read-only, for any xAPI client.

An organisation without an LRS still owns its statements: BI tools and xAPI
clients read them here with the standard GET /statements (xAPI 1.0.3, part 3,
2.1.3), authenticated with HTTP Basic credentials that each belong to one
organisation (`kompetenslyft xapi credentials add`).  Requests carry no cookie
and get none, so no session and no CSRF token are involved; errors are JSON in
the client's Accept-Language (there is no person or launch to ask).

`more` links carry the whole query and the position reached, signed with the
app's secret: the client cannot change the filters or the organisation on the
way, and the server keeps no paging state.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.http import http_date

from lti_tool import metrics, sessions
from lti_tool.database import db_session
from lti_tool.i18n import LANGUAGES, language_of
from lti_tool.rate_limits import RateLimited
from storage.statements import agent_key, credential_organisation, queries
from xapi.served import served, tool_authority
from xapi.statement_query import (
    ContinuedQuery,
    QueryRefused,
    StatementById,
    StatementQuery,
    continued_query,
    more_token,
    parse_statement_query,
)

bp = Blueprint("statement_api", __name__, url_prefix="/xapi")

VERSION_1 = "1.0.3"
VERSION_2 = "2.0.0"
# What /about lists and requests may ask for: 1.0.x clients get 1.0.3, 2.0 clients 2.0.0.
# The statements themselves are 1.0.3 statements, which xAPI 2.0 stores and serves unchanged.
VERSIONS = (VERSION_1, VERSION_2)
_VERSION_1_REQUEST = re.compile(r"1\.0(\.\d+)?")
VERSION_HEADER = "X-Experience-API-Version"
# `stored` is set when a statement is added to its transaction and becomes visible when that
# (short) transaction commits: statements stored up to this long ago are all visible.
CONSISTENCY_MARGIN = timedelta(seconds=10)

# The words of xapi.statement_query's refusals, by code; %(name)s is the parameter concerned.
QUERY_REFUSALS = {
    "unknown_parameter": _l("Unknown parameter: %(name)s."),
    "repeated_parameter": _l("The parameter %(name)s is given more than once."),
    "more_with_parameters": _l("A more link is used as it is, without other parameters."),
    "single_statement_with_filters": _l(
        "statementId and voidedStatementId can only be combined with attachments and format."
    ),
    "bad_more": _l("The more link is not valid; start the query again."),
    "bad_agent": _l(
        "agent must be a JSON object of an agent or identified group with exactly one "
        "identifier (mbox, mbox_sha1sum, openid or account)."
    ),
    "bad_iri": _l("%(name)s must be an IRI, e.g. http://adlnet.gov/expapi/verbs/completed."),
    "bad_uuid": _l("%(name)s must be a UUID."),
    "bad_boolean": _l("%(name)s must be true or false."),
    "bad_format": _l("format must be ids, exact or canonical."),
    "bad_limit": _l("limit must be a whole number, 0 or more."),
    "bad_timestamp": _l("%(name)s must be an ISO 8601 timestamp, e.g. 2026-03-02T09:00:00Z."),
}


class ApiError(Exception):
    """A refusal, answered as JSON: {"error": code, "message": text for people}."""

    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(error)
        self.status, self.error, self.message, self.headers = status, error, message, headers


@bp.before_app_request
def _stateless_in_the_clients_language() -> None:
    # For every address under /xapi/, also those no route matches (a POST to /statements
    # is a 405): the refusal is JSON in the client's language, never the person's page.
    if not request.path.startswith(f"{bp.url_prefix}/"):
        return
    sessions.stateless()
    g.request_locale = language_of(request.accept_languages.best_match(LANGUAGES))


@bp.after_request
def _api_headers(response: Response) -> Response:
    response.headers[VERSION_HEADER] = g.get("xapi_version", VERSION_1)
    response.headers["Cache-Control"] = "no-store"
    # JSON for programs: nothing to load, never to be framed (security.py keeps this policy).
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    return response


@bp.errorhandler(ApiError)
def _refused(error: ApiError):
    metrics.refused(error.error)
    response = jsonify(error=error.error, message=error.message)
    response.status_code = error.status
    response.headers.update(error.headers or {})
    return response


@bp.errorhandler(QueryRefused)
def _query_refused(refused: QueryRefused):
    message = str(QUERY_REFUSALS[refused.error])
    message = message % {"name": refused.name} if refused.name else message
    return _refused(ApiError(refused.status, refused.error, message))


@bp.get("/about")
def about():
    """Which xAPI versions the API speaks; open to anyone, as xAPI requires."""
    return jsonify(version=list(VERSIONS))


@bp.get("/statements")
def statements():
    organisation_id = _authenticated_organisation()
    _negotiate_version()
    asked = parse_statement_query(
        request.args.items(multi=True), tool_agent=agent_key(_authority())
    )
    if isinstance(asked, ContinuedQuery):
        query, after = continued_query(asked.token, organisation_id, current_app.secret_key)
        return _page(organisation_id, query, after)
    if isinstance(asked, StatementById):
        return _single(organisation_id, asked)
    return _page(organisation_id, asked, after=None)


def _authenticated_organisation() -> int:
    auth = request.authorization
    _limit_client(auth.username if auth is not None and auth.username else None)
    challenge = {"WWW-Authenticate": 'Basic realm="xAPI", charset="UTF-8"'}
    if auth is None or auth.type != "basic" or not auth.username:
        raise ApiError(
            401,
            "missing_credentials",
            _("Sign in with the key and secret of a Statement API credential (HTTP Basic)."),
            challenge,
        )
    organisation_id = credential_organisation(db_session(), auth.username, auth.password or "")
    if organisation_id is None:
        raise ApiError(
            401,
            "bad_credentials",
            _("The key or secret is wrong, or the credential has been removed."),
            challenge,
        )
    return organisation_id


def _limit_client(credential_key: str | None) -> None:
    """Count the request against the credential it names (before checking its secret, so a
    flood of guesses costs no hashing), or its address when it names none."""
    key = f"credential:{credential_key}" if credential_key else f"ip:{request.remote_addr}"
    limit = current_app.config["SETTINGS"].rate_limit_statement_api_per_minute
    try:
        current_app.extensions["rate_limiter"].check("statement_api", key, limit)
    except RateLimited as limited:
        raise ApiError(
            429,
            "too_many_requests",
            _(
                "Too many requests with this credential; wait %(seconds)s seconds.",
                seconds=limited.retry_after,
            ),
            {"Retry-After": str(limited.retry_after)},
        ) from limited


def _negotiate_version() -> None:
    asked = request.headers.get(VERSION_HEADER, "").strip()
    if not asked:
        raise ApiError(
            400,
            "missing_version",
            _("Send the header X-Experience-API-Version (1.0.3 or 2.0.0)."),
        )
    if asked == VERSION_2:
        g.xapi_version = VERSION_2
    elif not _VERSION_1_REQUEST.fullmatch(asked):
        raise ApiError(
            400,
            "unsupported_version",
            _("xAPI version %(version)s is not supported; use 1.0.3 or 2.0.0.", version=asked[:20]),
        )


def _single(organisation_id: int, asked: StatementById):
    find = queries.voided_statement if asked.voided else queries.statement
    row = find(db_session(), organisation_id, asked.statement_id)
    if row is None:
        raise ApiError(404, "not_found", _("There is no statement with that id."))
    statement_format, attachments = asked.shape()
    response = _respond(_serve(row, statement_format), attachments)
    response.headers["Last-Modified"] = http_date(row.stored)
    return _consistent(response)


def _page(organisation_id: int, query: StatementQuery, after: queries.Cursor | None):
    page = queries.find_statements(
        db_session(),
        organisation_id,
        query.where,
        limit=query.limit,
        ascending=query.ascending,
        after=after,
    )
    more = (
        ""
        if page.next is None
        else url_for(
            ".statements",
            more=more_token(query, organisation_id, page.next, current_app.secret_key),
        )
    )
    body = {
        "statements": [_serve(row, query.statement_format) for row in page.rows],
        "more": more,
    }
    return _consistent(_respond(body, query.attachments))


def _serve(row, statement_format: str) -> dict:
    return served(row.statement, row.stored, _authority(), statement_format, _choose_language)


def _authority() -> dict:
    return tool_authority(current_app.config["SETTINGS"].public_url)


def _choose_language(tags: list[str]) -> str | None:
    default = current_app.config["DEFAULT_LOCALE"]
    return request.accept_languages.best_match(tags) or (default if default in tags else None)


def _respond(body: dict, attachments: bool) -> Response:
    if not attachments:
        return jsonify(body)
    # attachments=true asks for multipart/mixed: the statements first, then each attachment.
    # The tool's statements carry no attachment content, so the statements are the only part.
    boundary = secrets.token_hex(16)
    payload = (
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n"
        f"{json.dumps(body, ensure_ascii=False)}\r\n--{boundary}--\r\n"
    )
    return Response(payload, mimetype=f"multipart/mixed; boundary={boundary}")


def _consistent(response: Response) -> Response:
    through = datetime.now(UTC) - CONSISTENCY_MARGIN
    response.headers["X-Experience-API-Consistent-Through"] = through.isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    return response
