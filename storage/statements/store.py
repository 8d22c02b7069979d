"""The embedded xAPI statement store: every statement the tool makes, kept as sent.

A statement row is written in the same transaction as the event that caused it
(an attempt started, an answer saved, an attempt submitted).  Its id is the
statement's own id, made by the tool from the event, so writing the same event
twice keeps one row.  The verb, registration and actor's account are copied out
of the JSON for querying; the statement itself is stored unchanged, ready to be
forwarded to an organisation's LRS.

The Statement API filters by agent and activity, directly (actor, object) or
through related parts (context activities, instructor, team, authority, a
sub-statement); `xapi_statement_refs` holds one row per agent or activity a
statement mentions, so those filters are index lookups instead of JSON scans.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, String, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.database import Base, JSONDocument, UTCDateTime, utcnow

AGENT = "agent"
ACTIVITY = "activity"


class XapiStatement(Base):
    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_actor", "actor_home_page", "actor_name"),
        Index("ix_xapi_statements_organisation_stored", "organisation_id", "stored", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    verb: Mapped[str] = mapped_column(String(255))
    registration: Mapped[str | None] = mapped_column(String(36), index=True)
    actor_home_page: Mapped[str] = mapped_column(String(255))
    actor_name: Mapped[str] = mapped_column(String(255))
    statement: Mapped[dict] = mapped_column(JSONDocument)
    stored: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Set when a voiding statement targets this one: hidden from ordinary queries.
    voided: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    refs: Mapped[list[XapiStatementRef]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class XapiStatementRef(Base):
    """One agent or activity a statement mentions; `direct` when it is the actor or object."""

    __tablename__ = "xapi_statement_refs"
    __table_args__ = (Index("ix_xapi_statement_refs_lookup", "kind", "ref"),)

    statement_id: Mapped[str] = mapped_column(
        ForeignKey("xapi_statements.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    ref: Mapped[str] = mapped_column(String(1024), primary_key=True)
    direct: Mapped[bool] = mapped_column(Boolean, default=False)


def agent_key(agent: dict) -> str | None:
    """An agent's or identified group's inverse functional identifier, as one string."""
    if not isinstance(agent, dict):
        return None
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if agent.get(ifi):
            return f"{ifi}|{agent[ifi]}"
    account = agent.get("account")
    if isinstance(account, dict) and account.get("homePage") and account.get("name"):
        return f"account|{account['homePage']}|{account['name']}"
    return None


def statement_refs(statement: dict) -> dict[tuple[str, str], bool]:
    """Every (kind, ref) a statement mentions, mapped to whether it is direct."""
    refs: dict[tuple[str, str], bool] = {}

    def add(kind: str, ref: str | None, direct: bool) -> None:
        if ref:
            refs[(kind, ref)] = refs.get((kind, ref), False) or direct

    def add_agent(agent, direct: bool) -> None:
        if not isinstance(agent, dict):
            return
        add(AGENT, agent_key(agent), direct)
        for member in agent.get("member") or []:
            add(AGENT, agent_key(member), False)

    def add_object(obj, direct: bool) -> None:
        if not isinstance(obj, dict):
            return
        kind = obj.get("objectType", "Activity")
        if kind == "Activity":
            add(ACTIVITY, obj.get("id"), direct)
        elif kind in ("Agent", "Group"):
            add_agent(obj, direct)
        elif kind == "SubStatement":
            add_parts(obj, direct=False)

    def add_parts(part: dict, direct: bool) -> None:
        add_agent(part.get("actor"), direct)
        add_object(part.get("object"), direct)
        context = part.get("context") or {}
        add_agent(context.get("instructor"), False)
        add_agent(context.get("team"), False)
        for activities in (context.get("contextActivities") or {}).values():
            if isinstance(activities, dict):
                activities = [activities]
            for activity in activities or []:
                if isinstance(activity, dict):
                    add(ACTIVITY, activity.get("id"), False)

    add_parts(statement, direct=True)
    add_agent(statement.get("authority"), False)
    return refs


VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def insert_statement(session: Session, statement: dict, organisation_id: int) -> bool:
    """Add a statement to the caller's transaction; False when one with its id is stored.

    A voiding statement marks the organisation's statement it targets as voided.
    """
    return bool(write_statements(session, [statement], organisation_id))


def write_statements(
    session: Session,
    statements: Sequence[dict],
    organisation_id: int,
    queue_target: str | None = None,
) -> list[str]:
    """Store statements in the caller's transaction, index what they mention, and (with
    `queue_target`) queue each new one in the outbox for the organisation's LRS if it has
    an enabled one (target `queue_target`, key `<lrs id>:<statement id>`, payload
    `{"statement_id": …}`).

    Returns the ids stored now: a statement whose id is stored already is left alone,
    neither indexed nor queued again.  A voiding statement marks the organisation's
    statement it targets as voided (even when it was stored already).  Statements are
    stored in the order given, each `stored` a microsecond or more after the one before.

    This runs on the request path for every statement, so it bypasses the ORM and
    SQLAlchemy's statement building: on PostgreSQL one round trip (a prepared statement
    whose data-modifying CTEs write the statements, their refs and their outbox rows);
    on SQLite a few cached statements on the driver's connection.
    """
    if not statements:
        return []
    if session.autoflush:
        session.flush()  # as session.execute would: pending ORM rows go first
    writer = _Writer(session)
    rows, seen = [], set()
    stored = utcnow()
    for statement in statements:
        if statement["id"] in seen:  # the same statement twice in one call is kept once
            continue
        seen.add(statement["id"])
        rows.append(statement)
    if writer.postgresql and not any(_voided_target(s) for s in rows[1:]):
        # One round trip for all, unless a voiding statement may void one recorded
        # before it in this call (the UPDATE would not see that row): then one each.
        return writer.write(rows, organisation_id, queue_target, stored)
    new = []
    for number, statement in enumerate(rows):
        when = stored + timedelta(microseconds=number)
        new += writer.write([statement], organisation_id, queue_target, when)
    return new


def _voided_target(statement: dict) -> str | None:
    """The id a voiding statement voids; None for any other statement."""
    target = statement.get("object") or {}
    if statement["verb"]["id"] == VOIDED and target.get("objectType") == "StatementRef":
        return target.get("id")
    return None


def _columns(statement: dict) -> tuple[str, str | None, str, str]:
    """What is copied out of the statement for querying: verb, registration, actor."""
    account = statement["actor"].get("account") or {}
    return (
        statement["verb"]["id"],
        statement.get("context", {}).get("registration"),
        account.get("homePage", ""),
        account.get("name", ""),
    )


# Every statement's columns, its refs and its outbox row's id travel as one JSON
# document: one parameter, no per-row adaptation by the driver.
_POSTGRESQL_WRITE_TEMPLATE = """
WITH given AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS given(
        id varchar, verb varchar, registration varchar, actor_home_page varchar,
        actor_name varchar, statement jsonb, stored timestamp, delivery_id varchar, refs jsonb)
), {voided}new AS (
    INSERT INTO xapi_statements (id, organisation_id, verb, registration, actor_home_page,
                                 actor_name, statement, stored, voided)
    SELECT id, %(organisation)s, verb, registration, actor_home_page, actor_name,
           statement, stored, false
    FROM given
    ON CONFLICT DO NOTHING
    RETURNING id
), refs AS (
    INSERT INTO xapi_statement_refs (statement_id, kind, ref, direct)
    SELECT new.id, ref->>0, ref->>1, (ref->>2)::boolean
    FROM new JOIN given ON given.id = new.id, jsonb_array_elements(given.refs) AS ref
), queued AS (
    INSERT INTO deliveries (id, target, key, payload, organisation_id, status, attempts,
                            next_attempt_at, created_at)
    SELECT given.delivery_id, %(target)s, lrs.id || ':' || new.id,
           jsonb_build_object('statement_id', new.id), lrs.organisation_id, 'pending', 0,
           given.stored, given.stored
    FROM new
    JOIN given ON given.id = new.id
    JOIN lrs_endpoints AS lrs ON lrs.organisation_id = %(organisation)s AND lrs.enabled
    WHERE %(target)s::varchar IS NOT NULL
    ON CONFLICT DO NOTHING
)
SELECT id FROM new
"""
# Voiding statements are rare: the UPDATE is only in the statement when one is written.
_POSTGRESQL_VOID = """voided AS (
    UPDATE xapi_statements SET voided = true
    FROM unnest(%(void_targets)s::varchar[]) AS targets(id)
    WHERE xapi_statements.id = targets.id
      AND organisation_id = %(organisation)s AND verb <> %(voiding_verb)s
), """
_POSTGRESQL_WRITE = _POSTGRESQL_WRITE_TEMPLATE.format(voided="")
_POSTGRESQL_WRITE_VOIDING = _POSTGRESQL_WRITE_TEMPLATE.format(voided=_POSTGRESQL_VOID)

_SQLITE_VOID = (
    "UPDATE xapi_statements SET voided = 1 WHERE id = ? AND organisation_id = ? AND verb <> ?"
)
_SQLITE_STATEMENT = (
    "INSERT INTO xapi_statements (id, organisation_id, verb, registration, actor_home_page,"
    " actor_name, statement, stored, voided) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
    " ON CONFLICT DO NOTHING"
)
_SQLITE_REF = (
    "INSERT INTO xapi_statement_refs (statement_id, kind, ref, direct) VALUES (?, ?, ?, ?)"
)
_SQLITE_QUEUE = (
    "INSERT INTO deliveries (id, target, key, payload, organisation_id, status, attempts,"
    " next_attempt_at, created_at)"
    " SELECT ?, ?, CAST(id AS VARCHAR) || ':' || ?, ?, organisation_id, 'pending', 0, ?, ?"
    " FROM lrs_endpoints WHERE organisation_id = ? AND enabled"
    " ON CONFLICT DO NOTHING"
)


_STAMPS: dict[str, Callable[[datetime], object]] = {}


class _Writer:
    """The driver connection of a session's transaction, and how to write on it."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        dialect = connection.dialect
        self.postgresql = dialect.name == "postgresql"
        self.driver = connection.connection.driver_connection
        stamp = _STAMPS.get(dialect.name)
        if stamp is None:  # SQLAlchemy's own conversion, so rows read back as before
            column_type = XapiStatement.__table__.c.stored.type
            stamp = column_type.dialect_impl(dialect).bind_processor(dialect) or (
                lambda value: value
            )
            _STAMPS[dialect.name] = stamp
        self.stamp = stamp

    def write(
        self, rows: list[dict], organisation_id: int, target: str | None, stored: datetime
    ) -> list[str]:
        if self.postgresql:
            return self._postgresql(rows, organisation_id, target, stored)
        return self._sqlite(rows[0], organisation_id, target, stored)

    def _postgresql(self, rows, organisation_id, target, stored) -> list[str]:
        given, void_targets = [], []
        for number, statement in enumerate(rows):
            verb, registration, home, name = _columns(statement)
            given.append(
                {
                    "id": statement["id"],
                    "verb": verb,
                    "registration": registration,
                    "actor_home_page": home,
                    "actor_name": name,
                    "statement": statement,
                    "stored": self.stamp(stored + timedelta(microseconds=number)).isoformat(),
                    "delivery_id": str(uuid.uuid4()),
                    "refs": [
                        (kind, ref, direct)
                        for (kind, ref), direct in statement_refs(statement).items()
                    ],
                }
            )
            voids = _voided_target(statement)
            if voids is not None:
                void_targets.append(voids)
        parameters = {"rows": json.dumps(given), "organisation": organisation_id, "target": target}
        if void_targets:
            parameters.update(void_targets=void_targets, voiding_verb=VOIDED)
        cursor = self.driver.execute(
            _POSTGRESQL_WRITE_VOIDING if void_targets else _POSTGRESQL_WRITE,
            parameters,
            prepare=True,
        )
        return [row[0] for row in cursor.fetchall()]

    def _sqlite(self, statement, organisation_id, target, stored) -> list[str]:
        cursor = self.driver.cursor()
        try:
            voids = _voided_target(statement)
            if voids is not None:
                cursor.execute(_SQLITE_VOID, (voids, organisation_id, VOIDED))
            stamp = self.stamp(stored)
            verb, registration, home, name = _columns(statement)
            document = json.dumps(statement)
            cursor.execute(
                _SQLITE_STATEMENT,
                (statement["id"], organisation_id, verb, registration, home, name, document, stamp),
            )
            if cursor.rowcount != 1:
                return []
            cursor.executemany(
                _SQLITE_REF,
                [
                    (statement["id"], kind, ref, direct)
                    for (kind, ref), direct in statement_refs(statement).items()
                ],
            )
            if target is not None:
                payload = json.dumps({"statement_id": statement["id"]})
                cursor.execute(
                    _SQLITE_QUEUE,
                    (
                        str(uuid.uuid4()),
                        target,
                        statement["id"],
                        payload,
                        stamp,
                        stamp,
                        organisation_id,
                    ),
                )
            return [statement["id"]]
        finally:
            cursor.close()


def store_statement(session: Session, statement: dict, organisation_id: int) -> XapiStatement:
    """`insert_statement`, returning the stored row (new or already there)."""
    insert_statement(session, statement, organisation_id)
    return session.get(XapiStatement, statement["id"])


def statements_of(session: Session, registration: str) -> list[XapiStatement]:
    """The statements of one attempt (its registration), oldest first."""
    return list(
        session.scalars(
            select(XapiStatement)
            .where(XapiStatement.registration == registration)
            .order_by(XapiStatement.stored, XapiStatement.id)
        )
    )
