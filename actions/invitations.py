"""The instance owner invites a learning platform to register (LTI dynamic registration).

The admin page calls this; the invitation link is shown once, so only its token's hash
is stored (`lti.dynamic_registration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lti import dynamic_registration as dynreg
from storage import Organisation


class UnknownOrganisation(LookupError):
    """The chosen organisation does not exist (any more)."""


@dataclass(frozen=True)
class Invited:
    url: str
    invitation_id: int
    organisation_name: str
    organisation_slug: str
    expires_at: datetime


def invite_platform(
    session: Session,
    *,
    organisation_id: int | None,
    new_organisation_name: str = "",
    days: int,
    public_url: str,
) -> Invited:
    """A one-time registration link for an existing organisation, or for a new one made
    from `new_organisation_name` when `organisation_id` is None; committed."""
    if organisation_id is None:
        organisation = dynreg.new_organisation(session, new_organisation_name)
    else:
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            raise UnknownOrganisation(organisation_id)
    token, invitation = dynreg.create_invitation(session, organisation, days)
    invited = Invited(
        url=dynreg.invitation_url(public_url, token),
        invitation_id=invitation.id,
        organisation_name=organisation.name,
        organisation_slug=organisation.slug,
        expires_at=invitation.expires_at,
    )
    session.commit()
    return invited
