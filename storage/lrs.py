"""Where an organisation's xAPI statements go: its Learning Record Store.

An organisation has at most one LRS.  Its password is stored sealed with the
instance's secret key, or not at all when `credentials_env` names an
environment variable holding `username:password` (so it can live in a secret
store).  The forwarding job keeps the LRS's health here too: consecutive
failures and a pause, so a down LRS is left alone instead of hammered.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, bindparam, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from storage.database import Base, UTCDateTime, utcnow
from storage.organisations import Organisation

XAPI_VERSIONS = ("1.0.3", "2.0.0")
DEFAULT_BATCH_SIZE = 200


class LrsEndpoint(Base):
    __tablename__ = "lrs_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    # The LRS's base URL; statements go to `<endpoint>statements`.
    endpoint: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(255))
    sealed_password: Mapped[str | None] = mapped_column(Text)
    credentials_env: Mapped[str | None] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(8), default="1.0.3")
    batch_size: Mapped[int] = mapped_column(Integer, default=DEFAULT_BATCH_SIZE)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()


def lrs_of(session: Session, organisation_id: int) -> LrsEndpoint | None:
    return session.scalar(select(LrsEndpoint).where(LrsEndpoint.organisation_id == organisation_id))


class CredentialsUnavailable(Exception):
    """The LRS password cannot be read: the environment variable is unset, or it was
    sealed with another secret key (the instance's key was changed)."""


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kompetenslyft lrs credentials"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, password: str) -> str:
    """Encrypt a password with a key derived from the instance's secret key."""
    return _fernet(secret_key).encrypt(password.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str:
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken as error:
        raise CredentialsUnavailable(
            "the stored LRS password was sealed with another secret key; set it again"
        ) from error


def credentials_of(
    lrs: LrsEndpoint, secret_key: str, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """The (username, password) to send, or None for an LRS without authentication."""
    if lrs.credentials_env:
        value = (os.environ if environ is None else environ).get(lrs.credentials_env)
        if not value or ":" not in value:
            raise CredentialsUnavailable(
                f"environment variable {lrs.credentials_env} is not set to username:password"
            )
        username, password = value.split(":", 1)
        return username, password
    if lrs.username is None:
        return None
    return lrs.username, unseal(secret_key, lrs.sealed_password) if lrs.sealed_password else ""


@dataclass(frozen=True)
class ClaimedStatement:
    """An outbox row leased for sending: `document` is the stored statement's JSON text
    (None when the statement was erased after it was queued).  `id` is the delivery's, so
    storage.outbox's mark_all_delivered/mark_dead/release take it as they take a Delivery."""

    id: str
    key: str
    statement_id: str
    document: str | None


_CLAIM_POSTGRESQL = text(
    """
WITH claimed AS (
    UPDATE deliveries SET leased_until = :until, lease_owner = :owner
    WHERE id = ANY(ARRAY(
        SELECT id FROM deliveries
        WHERE status = 'pending' AND target = :target AND organisation_id = :organisation
          AND next_attempt_at <= :now AND (leased_until IS NULL OR leased_until < :now)
        ORDER BY next_attempt_at, created_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    ))
    RETURNING id, key, payload ->> 'statement_id' AS statement_id, next_attempt_at, created_at
)
SELECT id, key, statement_id,
       (SELECT statement::text FROM xapi_statements WHERE xapi_statements.id = statement_id)
FROM claimed
ORDER BY next_attempt_at, created_at, id
"""
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))

# SQLite has one writer at a time: the UPDATE takes its rows atomically.
_CLAIM_SQLITE = text(
    """
UPDATE deliveries SET leased_until = :until, lease_owner = :owner
WHERE id IN (
    SELECT id FROM deliveries
    WHERE status = 'pending' AND target = :target AND organisation_id = :organisation
      AND next_attempt_at <= :now AND (leased_until IS NULL OR leased_until < :now)
    ORDER BY next_attempt_at, created_at
    LIMIT :limit
)
RETURNING id, key, json_extract(payload, '$.statement_id') AS statement_id, next_attempt_at,
          created_at
"""
).bindparams(bindparam("now", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))

_DOCUMENTS_SQLITE = text("SELECT id, statement FROM xapi_statements WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def claim_statements(
    session: Session,
    owner: str,
    lease: timedelta,
    limit: int,
    *,
    target: str,
    organisation_id: int,
) -> list[ClaimedStatement]:
    """Lease up to `limit` due outbox rows of `target` for one organisation, with the JSON
    text of the statements they send, oldest due first; commit to make the lease visible.

    The rows `storage.outbox.claim_due` would take, under the same lease (SKIP LOCKED on
    PostgreSQL keeps concurrent workers apart), in one statement on PostgreSQL and two on
    SQLite: no ORM objects, no statement parsed, one UPDATE for the batch.
    """
    now = utcnow()
    parameters = {
        "target": target,
        "organisation": organisation_id,
        "now": now,
        "until": now + lease,
        "owner": owner,
        "limit": limit,
    }
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(_CLAIM_POSTGRESQL, parameters).all()
        return [ClaimedStatement(*row) for row in rows]
    rows = session.execute(_CLAIM_SQLITE, parameters).all()
    rows.sort(key=lambda row: (row.next_attempt_at, row.created_at, row.id))  # as stored: text
    documents: dict[str, str] = {}
    ids = [row.statement_id for row in rows]
    for start in range(0, len(ids), 500):
        documents.update(
            session.execute(_DOCUMENTS_SQLITE, {"ids": ids[start : start + 500]}).all()
        )
    return [
        ClaimedStatement(row.id, row.key, row.statement_id, documents.get(row.statement_id))
        for row in rows
    ]


def record_stores(session: Session, organisation_id: int | None) -> list[LrsEndpoint]:
    """The LRS endpoints of one organisation, or of all."""
    query = select(LrsEndpoint).options(selectinload(LrsEndpoint.organisation))
    if organisation_id is not None:
        query = query.where(LrsEndpoint.organisation_id == organisation_id)
    return list(session.scalars(query.order_by(LrsEndpoint.id)))
