"""The instance owner invites a learning platform to register, for a new organisation or
an existing one; the link is shown once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.invitations import UnknownOrganisation, invite_platform
from lti.dynamic_registration import valid_invitation
from storage import Organisation
from tests.support.organisations import new_organisation

PUBLIC_URL = "https://kompetenslyft.example.se/"


def test_inviting_a_new_organisation_makes_it_and_a_link_it_can_register_with(database):
    with database.sessions() as session:
        invited = invite_platform(
            session,
            organisation_id=None,
            new_organisation_name="Umeå kommun Ö",
            days=7,
            public_url=PUBLIC_URL,
        )
    assert invited.url.startswith("https://kompetenslyft.example.se/lti/register?invitation=")
    token = invited.url.split("invitation=")[1]
    with database.sessions() as later:  # committed
        invitation = valid_invitation(later, token)
        organisation = later.get(Organisation, invitation.organisation_id)
    assert organisation.name == invited.organisation_name == "Umeå kommun Ö"
    assert organisation.slug == invited.organisation_slug


def test_an_existing_organisation_is_invited_without_making_another(database):
    ours = new_organisation(database, "Kommunen")
    with database.sessions() as session:
        invited = invite_platform(session, organisation_id=ours, days=1, public_url=PUBLIC_URL)
    assert invited.organisation_name == "Kommunen"


def test_an_organisation_that_is_gone_is_refused_and_nothing_is_made(database):
    with database.sessions() as session:
        before = session.scalar(select(Organisation.id).order_by(Organisation.id.desc()).limit(1))
        with pytest.raises(UnknownOrganisation):
            invite_platform(session, organisation_id=10**9, days=7, public_url=PUBLIC_URL)
        session.rollback()
        after = session.scalar(select(Organisation.id).order_by(Organisation.id.desc()).limit(1))
    assert after == before
