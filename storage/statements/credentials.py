"""Who may read an organisation's statements through the embedded Statement API.

xAPI clients and BI tools authenticate with HTTP Basic; each credential
belongs to one organisation and sees only its statements.  Only a hash of the
secret is kept, so the secret is shown once, when it is made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.database import Base, UTCDateTime, utcnow
from storage.organisations import Organisation


class StatementApiCredential(Base):
    __tablename__ = "statement_api_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


# scrypt with these costs takes tens of milliseconds: cheap for one request, ruinous for
# guessing secrets from a leaked table.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_SALT_BYTES = 16
# Recording every use would write on every read request; once in this interval is enough to
# tell a credential in use from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class NewCredential:
    """A credential just made: the secret exists only here and is never stored."""

    key: str
    secret: str
    credential: StatementApiCredential


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return "$".join(
        (
            "scrypt",
            str(_SCRYPT["n"]),
            str(_SCRYPT["r"]),
            str(_SCRYPT["p"]),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def secret_matches(secret: str, secret_hash: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = secret_hash.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            secret.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


# Checked when the key is unknown, so an unknown key costs as long as a wrong secret.
_UNKNOWN_KEY_HASH = hash_secret(secrets.token_urlsafe(32))


def create_credential(session: Session, organisation_id: int, label: str = "") -> NewCredential:
    # A fixed prefix: a bare token may start with "-", which a shell command takes for an option.
    key = "xapi-" + secrets.token_urlsafe(18)
    secret = secrets.token_urlsafe(32)
    credential = StatementApiCredential(
        organisation_id=organisation_id, key=key, secret_hash=hash_secret(secret), label=label
    )
    session.add(credential)
    session.flush()
    return NewCredential(key, secret, credential)


def verify_credential(session: Session, key: str, secret: str) -> StatementApiCredential | None:
    """The credential these Basic auth values name, or None (unknown key or wrong secret)."""
    credential = session.scalar(
        select(StatementApiCredential).where(StatementApiCredential.key == key)
    )
    if credential is None:
        secret_matches(secret, _UNKNOWN_KEY_HASH)
        return None
    if not secret_matches(secret, credential.secret_hash):
        return None
    now = utcnow()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        credential.last_used_at = now
    return credential


def list_credentials(session: Session) -> list[StatementApiCredential]:
    return list(
        session.scalars(
            select(StatementApiCredential).order_by(
                StatementApiCredential.organisation_id, StatementApiCredential.created_at
            )
        )
    )


def remove_credential(session: Session, key: str) -> bool:
    """Revoke a credential at once; False when there is none with that key."""
    credential = session.scalar(
        select(StatementApiCredential).where(StatementApiCredential.key == key)
    )
    if credential is None:
        return False
    session.delete(credential)
    return True


def credential_organisation(session: Session, key: str, secret: str) -> int | None:
    """The organisation whose statements these Basic auth values may read, or None (unknown
    key or wrong secret); the credential's use recorded and committed."""
    credential = verify_credential(session, key, secret)
    if credential is None:
        return None
    organisation_id = credential.organisation_id
    session.commit()  # when it was last used
    return organisation_id
