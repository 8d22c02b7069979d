"""Generating, rotating and publishing the tool's RSA signing keys."""

from __future__ import annotations

import functools
import json
import secrets
from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import KeyState, ToolKey, utcnow

KEY_SIZE = 2048
ALGORITHM = "RS256"


def generate_key(state: KeyState) -> ToolKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_hex(10)
    public = json.loads(JWK.from_pem(pem.encode()).export_public())
    public.update({"kid": kid, "alg": ALGORITHM, "use": "sig"})
    now = utcnow()
    return ToolKey(
        kid=kid,
        state=state,
        private_key_pem=pem,
        public_jwk=public,
        created_at=now,
        activated_at=now if state is KeyState.ACTIVE else None,
    )


def ensure_keys(session: Session) -> None:
    """Give a new install an active key and the next one already published."""
    states = set(session.scalars(select(ToolKey.state).where(ToolKey.state != KeyState.RETIRED)))
    if KeyState.ACTIVE not in states:
        session.add(generate_key(KeyState.ACTIVE))
    if KeyState.NEXT not in states:
        session.add(generate_key(KeyState.NEXT))
    session.flush()


def rotate_keys(session: Session, now: datetime | None = None) -> ToolKey:
    """Promote the published next key to active, retire the active one, publish a new next.

    Rows are locked (FOR UPDATE on PostgreSQL) so two concurrent rotations cannot
    both promote.  Returns the newly active key.
    """
    now = now or utcnow()
    ensure_keys(session)
    current = session.scalars(
        select(ToolKey).where(ToolKey.state != KeyState.RETIRED).with_for_update()
    ).all()
    active = next(key for key in current if key.state is KeyState.ACTIVE)
    upcoming = next(key for key in current if key.state is KeyState.NEXT)
    active.state, active.retired_at = KeyState.RETIRED, now
    upcoming.state, upcoming.activated_at = KeyState.ACTIVE, now
    session.flush()
    session.add(generate_key(KeyState.NEXT))
    session.flush()
    return upcoming


def published_keys(session: Session, grace: timedelta, now: datetime | None = None) -> list[dict]:
    """The JWKS `keys`: next, active, and retired keys still inside their grace period."""
    cutoff = (now or utcnow()) - grace
    keys = session.scalars(select(ToolKey).order_by(ToolKey.created_at)).all()
    return [
        key.public_jwk
        for key in keys
        if key.state is not KeyState.RETIRED or (key.retired_at and key.retired_at >= cutoff)
    ]


def active_key(session: Session) -> ToolKey:
    key = session.scalars(select(ToolKey).where(ToolKey.state == KeyState.ACTIVE)).first()
    if key is None:
        raise LookupError("the tool has no active key: run `kompetenslyft keys rotate`")
    return key


def sign_jwt(session: Session, claims: dict) -> str:
    """Sign claims with the active key, naming it by kid so platforms find it in JWKS."""
    key = active_key(session)
    return jwt.encode(
        claims,
        _loaded_private_key(key.private_key_pem),
        algorithm=ALGORITHM,
        headers={"kid": key.kid},
    )


@functools.lru_cache(maxsize=8)
def _loaded_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Parsing an RSA PEM (with its consistency checks) cost more than the signature itself."""
    return serialization.load_pem_private_key(pem.encode(), password=None)
