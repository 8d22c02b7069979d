"""Tenants and the LTI platforms they connect with.

One install serves many organisations; each platform registration (an issuer
and client id pair, i.e. one Moodle site's tool entry) belongs to exactly one of
them, so everything learned through a launch can be scoped to its organisation.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from storage.database import Base, UTCDateTime, utcnow


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # How xAPI statements name a learner: "lti" (platform issuer + LTI subject, the default),
    # "pseudonym" (a keyed hash, stable within the organisation) or "identified" (adds
    # name and email; only when the organisation has a legal basis for it).
    xapi_actor: Mapped[str] = mapped_column(String(16), default="lti", server_default="lti")
    # The key of the "pseudonym" mode, made once per organisation so pseudonyms stay stable
    # when the instance's secret key is rotated.
    xapi_pseudonym_key: Mapped[str | None] = mapped_column(String(64))

    registrations: Mapped[list[PlatformRegistration]] = relationship(back_populates="organisation")


def xapi_pseudonym_key(session: Session, organisation: Organisation) -> str:
    """The organisation's pseudonym key, made (256 random bits, hex) and stored on first use.

    One conditional UPDATE sets it: when two requests make the first pseudonym at once,
    one key wins and both use it, so a person never gets two pseudonyms.
    """
    if organisation.xapi_pseudonym_key:
        return organisation.xapi_pseudonym_key
    session.flush()
    session.execute(
        update(Organisation)
        .where(Organisation.id == organisation.id, Organisation.xapi_pseudonym_key.is_(None))
        .values(xapi_pseudonym_key=secrets.token_hex(32))
        .execution_options(synchronize_session=False)
    )
    session.refresh(organisation, ["xapi_pseudonym_key"])
    return organisation.xapi_pseudonym_key


class PlatformRegistration(Base):
    __tablename__ = "platform_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    issuer: Mapped[str] = mapped_column(String(255), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(Text)
    auth_token_url: Mapped[str] = mapped_column(Text)
    key_set_url: Mapped[str] = mapped_column(Text)
    # The token endpoint's expected audience when it differs from auth_token_url.
    auth_audience: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # For the admin pages: when it was last used, and what last went wrong.
    last_launch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(back_populates="registrations")
    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )


class Deployment(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("platform_registrations.id", ondelete="CASCADE")
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[PlatformRegistration] = relationship(back_populates="deployments")


class RegistrationInvitation(Base):
    """A one-time link that lets a platform administrator register with the tool.

    Dynamic registration must not be open to strangers: a Moodle admin either
    knows the instance's admin secret or was sent one of these links.  Only a
    hash of the token is stored.
    """

    __tablename__ = "registration_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedRegistrationToken(Base):
    """Platform registration tokens already spent: a replayed one is refused."""

    __tablename__ = "used_registration_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def organisations_by_name(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def registrations_of(session: Session, organisation_id: int | None) -> list[PlatformRegistration]:
    """The platform registrations of one organisation (or of all), with their deployments."""
    query = (
        select(PlatformRegistration)
        .join(PlatformRegistration.organisation)
        .options(
            selectinload(PlatformRegistration.deployments),
            selectinload(PlatformRegistration.organisation),
        )
        .order_by(Organisation.name, PlatformRegistration.issuer, PlatformRegistration.id)
    )
    if organisation_id is not None:
        query = query.where(PlatformRegistration.organisation_id == organisation_id)
    return list(session.scalars(query))


Row = TypeVar("Row")


def organisation_row(
    session: Session, model: type[Row], row_id: object, organisation_id: int | None
) -> Row | None:
    """The row with this id if it belongs to the organisation (any organisation's when
    `organisation_id` is None: the instance owner's view); another organisation's row
    does not exist for the asker."""
    row = session.get(model, row_id)
    if row is None or (organisation_id is not None and row.organisation_id != organisation_id):
        return None
    return row


def switch_registration(session: Session, registration: PlatformRegistration, enabled: bool):
    """Switch a platform on or off (only enabled platforms may launch or frame the tool)."""
    registration.enabled = enabled
    session.commit()


def enabled_platform_urls(connection: Connection) -> list[tuple[str, str]]:
    """(issuer, login URL) of every enabled platform: the origins that may frame the tool.
    On a connection of its own, so a response's headers never touch its transaction."""
    query = select(PlatformRegistration.issuer, PlatformRegistration.auth_login_url).where(
        PlatformRegistration.enabled.is_(True)
    )
    return [tuple(row) for row in connection.execute(query)]
