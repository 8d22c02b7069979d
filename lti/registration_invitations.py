"""Invitations to register a learning platform: the one-time link an operator or the
tool's owner sends a platform administrator (`kompetenslyft platform invite`, the admin page).

Only the token's hash is stored; the link is shown once.  The invitation names the
organisation the platform joins, made with it when new (storage.organisations.add_organisation).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.dynamic_registration import RegistrationRefused, token_hash
from lti.platforms import NewOrganisation, organisation_for
from storage import Organisation, PlatformRegistration, RegistrationInvitation, utcnow

DEFAULT_INVITATION_DAYS = 7


@dataclass(frozen=True)
class Invited:
    token: str  # shown once, never stored
    invitation: RegistrationInvitation
    organisation: Organisation


def invite_platform(
    session: Session,
    organisation: Organisation | NewOrganisation,
    days: int = DEFAULT_INVITATION_DAYS,
) -> Invited:
    """A new invitation for the organisation (made now when new); committed."""
    try:
        organisation = organisation_for(session, organisation)
        token, invitation = create_invitation(session, organisation, days)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Invited(token, invitation, organisation)


def create_invitation(
    session: Session, organisation: Organisation, days: int = DEFAULT_INVITATION_DAYS
) -> tuple[str, RegistrationInvitation]:
    """A new one-time invitation, in the caller's transaction; returns the token (shown once,
    never stored) and its row."""
    if days < 1:
        raise ValueError("an invitation must be valid for at least one day")
    token = secrets.token_urlsafe(32)
    invitation = RegistrationInvitation(
        token_hash=token_hash(token),
        organisation_id=organisation.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    return token, invitation


def invitation_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/lti/register?invitation={token}"


def valid_invitation(
    session: Session, token: str, *, updating: PlatformRegistration | None = None
) -> RegistrationInvitation:
    """The invitation for a token, if it can still be used; otherwise a refusal saying why.

    When the platform updates a registration of the invitation's own organisation (Moodle's
    "Update", after the admin pasted the same link again), a used or expired invitation still
    counts: the platform itself vouches for the update, and nothing new is connected.
    """
    invitation = session.scalar(
        select(RegistrationInvitation).where(RegistrationInvitation.token_hash == token_hash(token))
    )
    if invitation is None:
        raise RegistrationRefused("invitation_unknown")
    if updating is not None:
        if invitation.organisation_id != updating.organisation_id:
            raise RegistrationRefused(
                "already_registered", f"{updating.issuer} {updating.client_id} is another's"
            )
        return invitation
    if invitation.used_at is not None:
        raise RegistrationRefused("invitation_used")
    if invitation.expires_at <= utcnow():
        raise RegistrationRefused("invitation_expired")
    return invitation
