"""An invitation to register a platform: usable once, until it expires, for its organisation."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lti.dynamic_registration import RegistrationRefused, token_hash
from lti.platforms import NewOrganisation
from lti.registration_invitations import invitation_url, invite_platform, valid_invitation
from storage import Organisation, PlatformRegistration, RegistrationInvitation, utcnow
from storage.organisations import OrganisationRefused
from tests.conftest import _empty_tables


@pytest.fixture
def session(database):
    with database.sessions() as session:
        yield session
    _empty_tables(database)


def test_an_invitation_for_a_new_organisation_makes_both_and_stores_only_a_hash(session):
    invited = invite_platform(session, NewOrganisation("Umeå kommun"), days=3)

    session.expire_all()
    stored = session.scalars(select(RegistrationInvitation)).one()
    assert stored.token_hash == token_hash(invited.token) != invited.token
    assert stored.organisation_id == invited.organisation.id
    assert invited.organisation.slug == "umea-kommun"
    assert timedelta(days=2, hours=23) < stored.expires_at - utcnow() <= timedelta(days=3)
    assert invitation_url("https://tool.example/", invited.token) == (
        f"https://tool.example/lti/register?invitation={invited.token}"
    )


def test_an_invitation_that_cannot_be_made_leaves_no_organisation(session):
    with pytest.raises(OrganisationRefused):
        invite_platform(session, NewOrganisation("Umeå kommun", "Umeå kommun"))
    with pytest.raises(ValueError):
        invite_platform(session, NewOrganisation("Luleå kommun"), days=0)

    assert session.scalars(select(Organisation)).all() == []


def test_an_unknown_used_or_expired_invitation_is_refused(session):
    invited = invite_platform(session, NewOrganisation("Umeå kommun"))
    assert valid_invitation(session, invited.token).id == invited.invitation.id

    reasons = []
    for change in ({"expires_at": utcnow() - timedelta(seconds=1)}, {"used_at": utcnow()}):
        session.execute(update(RegistrationInvitation).values(**change))
        with pytest.raises(RegistrationRefused) as refused:
            valid_invitation(session, invited.token)
        reasons.append(refused.value.reason)
    with pytest.raises(RegistrationRefused) as unknown:
        valid_invitation(session, "guessed")

    assert reasons == ["invitation_expired", "invitation_used"]
    assert unknown.value.reason == "invitation_unknown"


def test_a_used_invitation_still_lets_its_own_platform_update(session):
    invited = invite_platform(session, NewOrganisation("Umeå kommun"))
    other = invite_platform(session, NewOrganisation("Luleå kommun"))
    session.execute(update(RegistrationInvitation).values(used_at=utcnow()))
    registration = PlatformRegistration(
        organisation_id=invited.organisation.id,
        issuer="https://moodle.example",
        client_id="c",
        auth_login_url="https://moodle.example/a",
        auth_token_url="https://moodle.example/t",
        key_set_url="https://moodle.example/k",
    )
    session.add(registration)
    session.flush()

    assert valid_invitation(session, invited.token, updating=registration)
    with pytest.raises(RegistrationRefused) as refused:
        valid_invitation(session, other.token, updating=registration)
    assert refused.value.reason == "already_registered"
