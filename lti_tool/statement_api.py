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
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.http import http_date

from lti_tool import metrics, sessions
from lti_tool.database import db_session
from lti_tool.i18n import LANGUAGES, language_of
from lti_tool.rate_limits import RateLimited
from storage.statements import agent_key, queries, verify_credential
from xapi.served import FORMATS, served, tool_authority

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

FILTERS = (
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
)
SINGLE = ("statementId", "voidedStatementId")
SHAPE = ("format", "attachments")
PARAMETERS = frozenset((*FILTERS, *SINGLE, *SHAPE, "more"))
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")


class ApiError(Exception):
    """A refusal, answered as JSON: {"error": code, "message": text for people}."""

    def __init__(self, status: int, error: str, message: str, headers: dict | None = None):
        super().__init__(error)
        self.status, self.error, self.message, self.headers = status, error, message, headers


@dataclass(frozen=True)
class Query:
    """Everything a statements request asked for; what a `more` link carries forward."""

    organisation_id: int
    where: queries.StatementFilter
    limit: int = 0
    ascending: bool = False
    statement_format: str = "exact"
    attachments: bool = False


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


@bp.get("/about")
def about():
    """Which xAPI versions the API speaks; open to anyone, as xAPI requires."""
    return jsonify(version=list(VERSIONS))


@bp.get("/statements")
def statements():
    organisation_id = _authenticated_organisation()
    _negotiate_version()
    args = request.args
    unknown = sorted(name for name in args if name not in PARAMETERS)
    if unknown:
        raise _bad("unknown_parameter", _("Unknown parameter: %(name)s.", name=unknown[0]))
    repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
    if repeated:
        raise _bad(
            "repeated_parameter",
            _("The parameter %(name)s is given more than once.", name=repeated[0]),
        )
    if "more" in args:
        if len(args) > 1:
            raise _bad(
                "more_with_parameters",
                _("A more link is used as it is, without other parameters."),
            )
        query, after = _continued(args["more"], organisation_id)
        return _page(query, after)
    single = [name for name in SINGLE if name in args]
    if single:
        if any(name not in (*SHAPE, single[0]) for name in args):
            raise _bad(
                "single_statement_with_filters",
                _(
                    "statementId and voidedStatementId can only be combined with "
                    "attachments and format."
                ),
            )
        return _single(organisation_id, single[0], _uuid(single[0], args[single[0]]))
    return _page(_query(organisation_id), after=None)


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
    session = db_session()
    credential = verify_credential(session, auth.username, auth.password or "")
    if credential is None:
        raise ApiError(
            401,
            "bad_credentials",
            _("The key or secret is wrong, or the credential has been removed."),
            challenge,
        )
    organisation_id = credential.organisation_id
    session.commit()  # when it was last used
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
        raise _bad(
            "missing_version",
            _("Send the header X-Experience-API-Version (1.0.3 or 2.0.0)."),
        )
    if asked == VERSION_2:
        g.xapi_version = VERSION_2
    elif not _VERSION_1_REQUEST.fullmatch(asked):
        raise _bad(
            "unsupported_version",
            _("xAPI version %(version)s is not supported; use 1.0.3 or 2.0.0.", version=asked[:20]),
        )


def _query(organisation_id: int) -> Query:
    args = request.args
    agent = _agent(args["agent"]) if "agent" in args else None
    where = queries.StatementFilter(
        agent=agent,
        verb=_iri("verb", args["verb"]) if "verb" in args else None,
        activity=_iri("activity", args["activity"]) if "activity" in args else None,
        registration=_uuid("registration", args["registration"])
        if "registration" in args
        else None,
        related_agents=_boolean("related_agents"),
        related_activities=_boolean("related_activities"),
        since=_timestamp("since"),
        until=_timestamp("until"),
    )
    if agent == agent_key(_authority()) and where.related_agents:
        # The tool is the authority of every statement it serves.
        where = replace(where, agent=None)
    return Query(
        organisation_id=organisation_id,
        where=where,
        limit=_limit(),
        ascending=_boolean("ascending"),
        **_shape(),
    )


def _shape() -> dict:
    statement_format = request.args.get("format", "exact")
    if statement_format not in FORMATS:
        raise _bad("bad_format", _("format must be ids, exact or canonical."))
    return {"statement_format": statement_format, "attachments": _boolean("attachments")}


def _single(organisation_id: int, parameter: str, statement_id: str):
    find = queries.statement if parameter == "statementId" else queries.voided_statement
    row = find(db_session(), organisation_id, statement_id)
    if row is None:
        raise ApiError(404, "not_found", _("There is no statement with that id."))
    shape = _shape()
    response = _respond(_serve(row, shape["statement_format"]), shape["attachments"])
    response.headers["Last-Modified"] = http_date(row.stored)
    return _consistent(response)


def _page(query: Query, after: queries.Cursor | None):
    page = queries.find_statements(
        db_session(),
        query.organisation_id,
        query.where,
        limit=query.limit,
        ascending=query.ascending,
        after=after,
    )
    more = "" if page.next is None else url_for(".statements", more=_more_token(query, page.next))
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


# --- `more` links -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="xapi-statements-more")


def _more_token(query: Query, after: queries.Cursor) -> str:
    where = asdict(query.where)
    for bound in ("since", "until"):
        if where[bound] is not None:
            where[bound] = where[bound].isoformat()
    return _serializer().dumps(
        {
            "organisation": query.organisation_id,
            "where": where,
            "limit": query.limit,
            "ascending": query.ascending,
            "format": query.statement_format,
            "attachments": query.attachments,
            "after": [after.stored.isoformat(), after.id],
        }
    )


def _continued(token: str, organisation_id: int) -> tuple[Query, queries.Cursor]:
    invalid = _bad("bad_more", _("The more link is not valid; start the query again."))
    try:
        data = _serializer().loads(token)
        where = dict(data["where"])
        for bound in ("since", "until"):
            if where[bound] is not None:
                where[bound] = datetime.fromisoformat(where[bound])
        query = Query(
            organisation_id=data["organisation"],
            where=queries.StatementFilter(**where),
            limit=data["limit"],
            ascending=data["ascending"],
            statement_format=data["format"],
            attachments=data["attachments"],
        )
        after = queries.Cursor(datetime.fromisoformat(data["after"][0]), data["after"][1])
    except (BadSignature, KeyError, TypeError, ValueError, IndexError) as error:
        raise invalid from error
    if query.organisation_id != organisation_id:
        raise invalid
    return query, after


# --- parameter values ---------------------------------------------------------------------


def _bad(error: str, message: str) -> ApiError:
    return ApiError(400, error, message)


def _agent(text: str) -> str:
    refused = _bad(
        "bad_agent",
        _(
            "agent must be a JSON object of an agent or identified group with exactly one "
            "identifier (mbox, mbox_sha1sum, openid or account)."
        ),
    )
    try:
        agent = json.loads(text)
    except ValueError as error:
        raise refused from error
    if not isinstance(agent, dict) or agent.get("objectType", "Agent") not in ("Agent", "Group"):
        raise refused
    if sum(1 for name in _IFIS if name in agent) != 1:
        raise refused
    if "mbox" in agent and not str(agent["mbox"]).startswith("mailto:"):
        raise refused
    account = agent.get("account")
    if "account" in agent and not (
        isinstance(account, dict)
        and isinstance(account.get("homePage"), str)
        and isinstance(account.get("name"), str)
    ):
        raise refused
    key = agent_key(agent)
    if key is None or not _is_unicode(key):
        raise refused
    return key


def _is_unicode(text: str) -> bool:
    """False for a lone surrogate, which JSON can escape ("\\ud800") but no text encoding,
    nor the database, holds."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _iri(name: str, value: str) -> str:
    if not _IRI.fullmatch(value):
        raise _bad(
            "bad_iri",
            _("%(name)s must be an IRI, e.g. http://adlnet.gov/expapi/verbs/completed.", name=name),
        )
    return value


def _uuid(name: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise _bad("bad_uuid", _("%(name)s must be a UUID.", name=name)) from error


def _boolean(name: str) -> bool:
    value = request.args.get(name, "false")
    if value not in ("true", "false"):
        raise _bad("bad_boolean", _("%(name)s must be true or false.", name=name))
    return value == "true"


def _limit() -> int:
    value = request.args.get("limit", "0")
    if not value.isascii() or not value.isdigit():
        raise _bad("bad_limit", _("limit must be a whole number, 0 or more."))
    # Beyond the server's maximum a limit means the maximum, and int() refuses 5,000 digits.
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(queries.MAX_LIMIT)) else queries.MAX_LIMIT


def _timestamp(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    # A "+01:00" offset sent without URL encoding arrives as " 01:00".
    for candidate in (value, value.replace(" ", "+")):
        try:
            moment = datetime.fromisoformat(candidate)
            # In UTC, as stored: year 1 or 9999 with an offset falls outside what a
            # datetime holds (OverflowError), so it is refused like any other bad value.
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except (ValueError, OverflowError):
            continue
    raise _bad(
        "bad_timestamp",
        _("%(name)s must be an ISO 8601 timestamp, e.g. 2026-03-02T09:00:00Z.", name=name),
    )
