"""The embedded xAPI statement store: every statement the tool makes, kept as sent.

A statement row is written in the same transaction as the event that caused it
(an attempt started, an answer saved, an attempt submitted).  Its id is the
statement's own id, made by the tool from the event, so writing the same event
twice keeps one row.  The verb, registration and actor's account are copied out
of the JSON for querying; the statement itself is stored unchanged, ready to be
forwarded to an organisation's LRS.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, JSONDocument, UTCDateTime, get_or_create, utcnow


class XapiStatement(Base):
    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_actor", "actor_home_page", "actor_name"),)

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


def store_statement(session: Session, statement: dict, organisation_id: int) -> XapiStatement:
    """Add a statement to the caller's transaction; one already stored (same id) is kept."""
    account = statement["actor"]["account"]
    return get_or_create(
        session,
        lambda: session.get(XapiStatement, statement["id"]),
        lambda: XapiStatement(
            id=statement["id"],
            organisation_id=organisation_id,
            verb=statement["verb"]["id"],
            registration=statement.get("context", {}).get("registration"),
            actor_home_page=account["homePage"],
            actor_name=account["name"],
            statement=statement,
        ),
    )


def statements_of(session: Session, registration: str) -> list[XapiStatement]:
    """The statements of one attempt (its registration), oldest first."""
    return list(
        session.scalars(
            select(XapiStatement)
            .where(XapiStatement.registration == registration)
            .order_by(XapiStatement.stored, XapiStatement.id)
        )
    )
