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

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, false, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.database import Base, JSONDocument, UTCDateTime, insert_new, utcnow

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
    Plain INSERTs (no ORM objects, no savepoint): this runs on the request path.
    """
    account = statement["actor"].get("account") or {}
    target = statement.get("object") or {}
    if statement["verb"]["id"] == VOIDED and target.get("objectType") == "StatementRef":
        session.execute(
            update(XapiStatement)
            .where(
                XapiStatement.id == target.get("id"),
                XapiStatement.organisation_id == organisation_id,
                XapiStatement.verb != VOIDED,
            )
            .values(voided=True)
        )
    new = insert_new(
        session,
        XapiStatement.__table__,
        [
            {
                "id": statement["id"],
                "organisation_id": organisation_id,
                "verb": statement["verb"]["id"],
                "registration": statement.get("context", {}).get("registration"),
                "actor_home_page": account.get("homePage", ""),
                "actor_name": account.get("name", ""),
                "statement": statement,
                "stored": utcnow(),
                "voided": False,
            }
        ],
    )
    refs = statement_refs(statement) if new else {}
    if refs:
        session.execute(
            # Rows as parameters: a compiled statement SQLAlchemy caches (a multi-row .values()
            # is compiled anew each time), sent by psycopg as one pipeline.
            insert(XapiStatementRef.__table__),
            [
                {"statement_id": statement["id"], "kind": kind, "ref": ref, "direct": direct}
                for (kind, ref), direct in refs.items()
            ],
        )
    return bool(new)


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
