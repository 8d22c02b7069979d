"""One-time login nonces and the record of every accepted launch.

A nonce row is written when the tool starts an OIDC login and consumed by a
single conditional UPDATE when the id_token comes back: whichever worker or
database connection gets there first wins, every replay finds it spent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from storage.courses import Context, ResourceLink
from storage.database import Base, JSONDocument, UTCDateTime, utcnow
from storage.organisations import Deployment, PlatformRegistration
from storage.people import Person


class LoginNonce(Base):
    __tablename__ = "login_nonces"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(128), unique=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("platform_registrations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How the launch proves it comes from this login's browser (lti.browser_binding).
    binding: Mapped[str] = mapped_column(String(16), default="cookie", server_default="cookie")
    storage_target: Mapped[str | None] = mapped_column(String(255))
    browser_secret_hash: Mapped[str | None] = mapped_column(String(64))
    user_agent_hash: Mapped[str | None] = mapped_column(String(64))
    # The login initiation's target_link_uri: the launch's claim must name the same address.
    target_link_uri: Mapped[str | None] = mapped_column(Text)


class Launch(Base):
    __tablename__ = "launches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("platform_registrations.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id", ondelete="CASCADE"))
    context_id: Mapped[int | None] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource_links.id", ondelete="CASCADE")
    )
    message_type: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    locale: Mapped[str | None] = mapped_column(String(35))
    # The validated claims, kept for the services (AGS, NRPS, deep linking) a launch grants.
    claims: Mapped[dict] = mapped_column(JSONDocument)
    return_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    person: Mapped[Person] = relationship()
    registration: Mapped[PlatformRegistration] = relationship()
    deployment: Mapped[Deployment] = relationship()
    context: Mapped[Context | None] = relationship()
    resource_link: Mapped[ResourceLink | None] = relationship()


def latest_launch_locale(session: Session, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return session.scalar(
        select(Launch.locale)
        .where(Launch.person_id == person_id, Launch.locale.is_not(None))
        .order_by(Launch.created_at.desc())
        .limit(1)
    )
