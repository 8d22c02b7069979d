"""Tenants and the LTI platforms they connect with.

One install serves many organisations; each platform registration (an issuer
and client id pair, i.e. one Moodle site's tool entry) belongs to exactly one of
them, so everything learned through a launch can be scoped to its organisation.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, exists, select, update
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


# --- a new organisation ----------------------------------------------------------------------

SLUG_LENGTH = 64
NAME_LENGTH = 255
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class OrganisationRefused(ValueError):
    """A name or slug no organisation can have; the message says why, for an operator."""


def add_organisation(session: Session, name: str, slug: str | None = None) -> Organisation:
    """A new organisation, in the caller's transaction: the one rule for every way one is made
    (`kompetenslyft platform add` and `platform invite`, the registration page, the admin
    page's invitations, the built-in dev platform).

    The name is trimmed, kept to 255 characters and must not be empty.  The slug, by which
    commands name the organisation, is made from the name when none is given ("Umeå kommun"
    → "umea-kommun", then "umea-kommun-2" … when taken); a given one must be lowercase letters
    and digits in dash-separated words, at most 64 characters, and free.

    It is never committed here: an organisation is made as part of an invitation or a
    registration, and a refused registration leaves none behind.
    """
    name = name.strip()[:NAME_LENGTH]
    if not name:
        raise OrganisationRefused("an organisation needs a name")
    if slug is None:
        slug = _free_slug(session, slugify(name) or "organisation")
    elif len(slug) > SLUG_LENGTH or not _SLUG.fullmatch(slug):
        example = slugify(slug) or "umea-kommun"
        raise OrganisationRefused(
            f"{slug!r} is not a slug: use lowercase letters, digits and dashes, e.g. {example!r}"
        )
    elif _slug_taken(session, slug):
        raise OrganisationRefused(f"the slug {slug!r} is taken")
    organisation = Organisation(slug=slug, name=name)
    session.add(organisation)
    session.flush()
    return organisation


def slugify(name: str) -> str:
    """ "Umeå kommun" → "umea-kommun": Swedish letters plain, anything else a dash."""
    text = name.strip().lower()
    for swedish, plain in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e"), ("ü", "u")):
        text = text.replace(swedish, plain)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:SLUG_LENGTH].rstrip("-")


def _free_slug(session: Session, base: str) -> str:
    slug, number = base, 1
    while _slug_taken(session, slug):
        number += 1
        slug = f"{base[:60].rstrip('-')}-{number}"
    return slug


def _slug_taken(session: Session, slug: str) -> bool:
    return bool(session.scalar(select(exists().where(Organisation.slug == slug))))


def organisations_by_name(session: Session) -> list[Organisation]:
    """Every organisation, for the instance owner to choose from (invitations, registrations)."""
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
