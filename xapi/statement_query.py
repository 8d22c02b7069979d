"""What a GET /statements request asks for, read from its query parameters (xAPI 1.0.3, part 3,
2.1.3), as a typed value the storage query takes, or one refusal with a stable code.

Flask-free: the Statement API's view hands the parameters over as (name, value) pairs, a
parameter given twice appearing twice, and renders the result or the refusal; the refusal's
words, in the client's language, are the view's (`QueryRefused.error` and `.name` pick them).
As openfun/ralph types these parameters at its router, the rules are here once and tested
without a server: which parameters exist and go together, and what each value may be.

A request asks for one of three things:
- `StatementQuery`: a page of statements matching filters;
- `StatementById`: one statement (`statementId`) or one voided statement (`voidedStatementId`);
- `ContinuedQuery`: the next page of an earlier query, by its `more` link, whose token carries
  the whole query signed with the app's secret (`more_token`, `continued_query`): the client
  cannot change the filters or the organisation on the way, and the server keeps no paging state.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from storage.statements import MAX_LIMIT, Cursor, StatementFilter, agent_key
from xapi.served import FORMATS

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
_MORE_SALT = "xapi-statements-more"


class QueryRefused(ValueError):
    """A request the Statement API refuses (HTTP 400): `error` is the stable code a client
    reads, `name` the parameter it concerns when the message names one."""

    status = 400

    def __init__(self, error: str, name: str = "") -> None:
        super().__init__(error)
        self.error, self.name = error, name


@dataclass(frozen=True)
class StatementQuery:
    """A page of statements asked for: the filters, the page size (0: the server's maximum),
    the order by `stored` and the shape of the statements served."""

    where: StatementFilter
    limit: int = 0
    ascending: bool = False
    statement_format: str = "exact"
    attachments: bool = False


@dataclass(frozen=True)
class StatementById:
    """One statement asked for by id, or one voided statement (`voided`).

    Its `format` and `attachments` are checked by `shape()` only once the statement is found:
    a request for an unknown id is a 404 whatever else it says."""

    statement_id: str
    voided: bool
    format: str = "exact"
    attachments: str = "false"

    def shape(self) -> tuple[str, bool]:
        """(statement format, attachments), or QueryRefused."""
        return _format(self.format), _boolean("attachments", self.attachments)


@dataclass(frozen=True)
class ContinuedQuery:
    """The next page of an earlier query: its `more` token, read by `continued_query`."""

    token: str


StatementRequest = StatementQuery | StatementById | ContinuedQuery


def parse_statement_query(
    pairs: Iterable[tuple[str, str]], *, tool_agent: str | None = None
) -> StatementRequest:
    """The request the query parameters make, or QueryRefused for the first fault found.

    `pairs` are the parameters in the order sent, a repeated one repeated (werkzeug's
    `request.args.items(multi=True)`).  `tool_agent` is the tool's own agent key: the tool is
    the authority of every statement it serves, so asking for it as a related agent asks for
    every statement."""
    args: dict[str, str] = {}
    repeated: set[str] = set()
    for name, value in pairs:
        if name in args:
            repeated.add(name)
        else:
            args[name] = value
    unknown = sorted(name for name in args if name not in PARAMETERS)
    if unknown:
        raise QueryRefused("unknown_parameter", unknown[0])
    if repeated:
        raise QueryRefused("repeated_parameter", sorted(repeated)[0])
    if "more" in args:
        if len(args) > 1:
            raise QueryRefused("more_with_parameters")
        return ContinuedQuery(args["more"])
    single = [name for name in SINGLE if name in args]
    if single:
        name = single[0]
        if any(other not in (*SHAPE, name) for other in args):
            raise QueryRefused("single_statement_with_filters")
        return StatementById(
            _uuid(name, args[name]),
            voided=name == "voidedStatementId",
            format=args.get("format", "exact"),
            attachments=args.get("attachments", "false"),
        )
    return _query(args, tool_agent)


def _query(args: dict[str, str], tool_agent: str | None) -> StatementQuery:
    # In this order: with several bad values, the first of these is the one refused.
    agent = _agent(args["agent"]) if "agent" in args else None
    where = StatementFilter(
        agent=agent,
        verb=_iri("verb", args["verb"]) if "verb" in args else None,
        activity=_iri("activity", args["activity"]) if "activity" in args else None,
        registration=_uuid("registration", args["registration"])
        if "registration" in args
        else None,
        related_agents=_boolean("related_agents", args.get("related_agents", "false")),
        related_activities=_boolean("related_activities", args.get("related_activities", "false")),
        since=_timestamp("since", args.get("since")),
        until=_timestamp("until", args.get("until")),
    )
    if agent is not None and agent == tool_agent and where.related_agents:
        where = replace(where, agent=None)
    return StatementQuery(
        where=where,
        limit=_limit(args.get("limit", "0")),
        ascending=_boolean("ascending", args.get("ascending", "false")),
        statement_format=_format(args.get("format", "exact")),
        attachments=_boolean("attachments", args.get("attachments", "false")),
    )


# --- `more` links ---------------------------------------------------------------------------


def more_token(query: StatementQuery, organisation_id: int, after: Cursor, secret: str) -> str:
    """The signed token of a `more` link: the query, its organisation and where the page ended."""
    where = asdict(query.where)
    for bound in ("since", "until"):
        if where[bound] is not None:
            where[bound] = where[bound].isoformat()
    return URLSafeSerializer(secret, salt=_MORE_SALT).dumps(
        {
            "organisation": organisation_id,
            "where": where,
            "limit": query.limit,
            "ascending": query.ascending,
            "format": query.statement_format,
            "attachments": query.attachments,
            "after": [after.stored.isoformat(), after.id],
        }
    )


def continued_query(token: str, organisation_id: int, secret: str) -> tuple[StatementQuery, Cursor]:
    """The query a `more` token carries and where to go on from; QueryRefused("bad_more")
    when it was altered, is not one, or belongs to another organisation."""
    try:
        data = URLSafeSerializer(secret, salt=_MORE_SALT).loads(token)
        where = dict(data["where"])
        for bound in ("since", "until"):
            if where[bound] is not None:
                where[bound] = datetime.fromisoformat(where[bound])
        query = StatementQuery(
            where=StatementFilter(**where),
            limit=data["limit"],
            ascending=data["ascending"],
            statement_format=data["format"],
            attachments=data["attachments"],
        )
        after = Cursor(datetime.fromisoformat(data["after"][0]), data["after"][1])
        organisation = data["organisation"]
    except (BadSignature, KeyError, TypeError, ValueError, IndexError) as error:
        raise QueryRefused("bad_more") from error
    if organisation != organisation_id:
        raise QueryRefused("bad_more")
    return query, after


# --- parameter values -----------------------------------------------------------------------


def _agent(text: str) -> str:
    """The agent key (storage.statements.agent_key) of a JSON agent or identified group."""
    try:
        agent = json.loads(text)
    except ValueError as error:
        raise QueryRefused("bad_agent") from error
    if not isinstance(agent, dict) or agent.get("objectType", "Agent") not in ("Agent", "Group"):
        raise QueryRefused("bad_agent")
    if sum(1 for name in _IFIS if name in agent) != 1:
        raise QueryRefused("bad_agent")
    if "mbox" in agent and not str(agent["mbox"]).startswith("mailto:"):
        raise QueryRefused("bad_agent")
    account = agent.get("account")
    if "account" in agent and not (
        isinstance(account, dict)
        and isinstance(account.get("homePage"), str)
        and isinstance(account.get("name"), str)
    ):
        raise QueryRefused("bad_agent")
    key = agent_key(agent)
    if key is None or not _is_unicode(key):
        raise QueryRefused("bad_agent")
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
        raise QueryRefused("bad_iri", name)
    return value


def _uuid(name: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise QueryRefused("bad_uuid", name) from error


def _boolean(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise QueryRefused("bad_boolean", name)
    return value == "true"


def _format(value: str) -> str:
    if value not in FORMATS:
        raise QueryRefused("bad_format")
    return value


def _limit(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise QueryRefused("bad_limit")
    # Beyond the server's maximum a limit means the maximum, and int() refuses 5,000 digits.
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= len(str(MAX_LIMIT)) else MAX_LIMIT


def _timestamp(name: str, value: str | None) -> datetime | None:
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
    raise QueryRefused("bad_timestamp", name)
