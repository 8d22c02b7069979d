"""An organisation's stored statements, filtered and ordered as xAPI 1.0.3 GET /statements says.

The filters are the Statement API's (agent, verb, activity, registration, since,
until, related_agents, related_activities); paging is by the (stored, id) of the
last statement served, so a page boundary never moves when statements are added
while a client is paging, and none is served twice or skipped.

Voided statements are left out of every query except `voided_statement`.  A
statement whose object is a StatementRef (e.g. a voiding statement) meets a
non-time filter when the statement it targets meets it (xAPI 1.0.3, part 3,
2.1.3), so voiding statements are found with the statements they void.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from storage.statements.store import ACTIVITY, AGENT, XapiStatement, XapiStatementRef

# The most statements one page holds; `limit=0` asks for exactly this.
MAX_LIMIT = 500


@dataclass(frozen=True)
class StatementFilter:
    """The Statement API's filters, already checked; None means "not filtered on"."""

    agent: str | None = None  # storage.statements.agent_key() of the agent or group
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_agents: bool = False
    related_activities: bool = False
    since: datetime | None = None  # exclusive, on stored
    until: datetime | None = None  # inclusive, on stored

    @property
    def matches_content(self) -> bool:
        return any(v is not None for v in (self.agent, self.verb, self.activity, self.registration))


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: the last statement served."""

    stored: datetime
    id: str


@dataclass(frozen=True)
class Page:
    rows: list[XapiStatement]
    next: Cursor | None  # None: this was the last page


def page_size(limit: int) -> int:
    """xAPI's `limit`: 0 means the server's maximum, and no page is larger than that."""
    return MAX_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)


def find_statements(
    session: Session,
    organisation_id: int,
    where: StatementFilter,
    *,
    limit: int = 0,
    ascending: bool = False,
    after: Cursor | None = None,
) -> Page:
    """One page of matching statements, newest stored first unless ascending."""
    size = page_size(limit)
    query = _matching(organisation_id, where)
    if after is not None:
        query = query.where(_beyond(after, ascending))
    rows = list(session.scalars(query.order_by(*_order(ascending)).limit(size + 1)))
    if len(rows) <= size:
        return Page(rows, None)
    rows = rows[:size]
    return Page(rows, Cursor(rows[-1].stored, rows[-1].id))


def count_statements(session: Session, organisation_id: int, where: StatementFilter) -> int:
    subquery = _matching(organisation_id, where).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


def stream_statements(
    session: Session, organisation_id: int, where: StatementFilter, *, batch: int = 500
) -> Iterator[Row]:
    """Every matching statement's (statement, stored), oldest first, `batch` rows at a time.

    Plain rows, not ORM objects, fetched with a server-side cursor where the database has
    one: an export of a hundred thousand statements holds one batch in memory, not all.
    """
    query = (
        _matching(organisation_id, where)
        .with_only_columns(XapiStatement.statement, XapiStatement.stored)
        .order_by(*_order(ascending=True))
    )
    result = session.execute(query.execution_options(yield_per=batch))
    try:
        yield from result
    finally:
        result.close()


def statement(session: Session, organisation_id: int, statement_id: str) -> XapiStatement | None:
    """`statementId`: the statement, unless it belongs to another organisation or is voided."""
    row = session.get(XapiStatement, statement_id)
    if row is None or row.organisation_id != organisation_id or row.voided:
        return None
    return row


def voided_statement(
    session: Session, organisation_id: int, statement_id: str
) -> XapiStatement | None:
    """`voidedStatementId`: the statement only while it is voided."""
    row = session.get(XapiStatement, statement_id)
    if row is None or row.organisation_id != organisation_id or not row.voided:
        return None
    return row


def _order(ascending: bool) -> tuple:
    if ascending:
        return XapiStatement.stored.asc(), XapiStatement.id.asc()
    return XapiStatement.stored.desc(), XapiStatement.id.desc()


def _beyond(cursor: Cursor, ascending: bool) -> ColumnElement[bool]:
    if ascending:
        return or_(
            XapiStatement.stored > cursor.stored,
            and_(XapiStatement.stored == cursor.stored, XapiStatement.id > cursor.id),
        )
    return or_(
        XapiStatement.stored < cursor.stored,
        and_(XapiStatement.stored == cursor.stored, XapiStatement.id < cursor.id),
    )


def _matching(organisation_id: int, where: StatementFilter):
    query = select(XapiStatement).where(
        XapiStatement.organisation_id == organisation_id, XapiStatement.voided.is_(False)
    )
    if where.since is not None:
        query = query.where(XapiStatement.stored > where.since)
    if where.until is not None:
        query = query.where(XapiStatement.stored <= where.until)
    if not where.matches_content:
        return query
    # The statement a StatementRef object points to, when there is one in the organisation.
    target = aliased(XapiStatement)
    object_part = XapiStatement.statement["object"]
    query = query.outerjoin(
        target,
        and_(
            object_part["objectType"].as_string() == "StatementRef",
            target.id == object_part["id"].as_string(),
            target.organisation_id == organisation_id,
        ),
    )
    for condition in _conditions(where):
        # Either the statement meets the condition, or the statement it targets does.
        query = query.where(or_(condition(XapiStatement), condition(target)))
    return query


def _conditions(where: StatementFilter) -> list:
    conditions = []
    if where.verb is not None:
        conditions.append(lambda row: row.verb == where.verb)
    if where.registration is not None:
        conditions.append(lambda row: row.registration == where.registration)
    if where.agent is not None:
        conditions.append(lambda row: _mentions(row, AGENT, where.agent, where.related_agents))
    if where.activity is not None:
        conditions.append(
            lambda row: _mentions(row, ACTIVITY, where.activity, where.related_activities)
        )
    return conditions


def _mentions(row, kind: str, ref: str, related: bool) -> ColumnElement[bool]:
    """The statement names the agent or activity: as actor/object, or anywhere when related."""
    found = exists().where(
        XapiStatementRef.statement_id == row.id,
        XapiStatementRef.kind == kind,
        XapiStatementRef.ref == ref,
    )
    if not related:
        found = found.where(XapiStatementRef.direct.is_(True))
    return found
