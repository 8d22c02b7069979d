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
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
