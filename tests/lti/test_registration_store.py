"""Storing a completed Dynamic Registration: the registration token and the invitation are
spent once, an update of the organisation's own registration is audited, and a refusal
leaves nothing behind (not even the organisation it would have made)."""

import base64
import json
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from lti.dynamic_registration import PlatformConfiguration, RegistrationRefused, RegistrationResult
from lti.platforms import NewOrganisation
from lti.registration_invitations import create_invitation
from lti.registration_store import (
    complete_registration,
    is_update_token,
    store_registration,
    update_target,
)
from storage import (
    AuditEvent,
    Deployment,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
)
from storage.organisations import add_organisation
from tests.conftest import _empty_tables

MOODLE = "https://moodle.umea.example"
CONFIGURATION = PlatformConfiguration(
    url=MOODLE + "/mod/lti/openid-configuration.php",
    issuer=MOODLE,
    authorization_endpoint=MOODLE + "/mod/lti/auth.php",
    token_endpoint=MOODLE + "/mod/lti/token.php",
    jwks_uri=MOODLE + "/mod/lti/certs.php",
    registration_endpoint=MOODLE + "/mod/lti/openid-registration.php",
    authorization_server=MOODLE + "/mod/lti/token.php",
    product_family_code="moodle",
    version="4.5.6",
)


@pytest.fixture
def session(database):
    with database.sessions() as session:
        yield session
    _empty_tables(database)


def answer(client_id: str = "client-1", deployment_id: str = "5") -> RegistrationResult:
    return RegistrationResult(client_id=client_id, deployment_id=deployment_id, document={})


def moodle_token(**claims) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{body}.signature"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_owner_registers_a_moodle_into_a_new_organisation(session):
    stored = complete_registration(
        session,
        organisation=NewOrganisation("Umeå kommun"),
        configuration=CONFIGURATION,
        result=answer(),
        registration_token="token-1",
    )

    session.expire_all()  # what was committed
    registration = session.scalars(select(PlatformRegistration)).one()
    assert not stored.updated and stored.organisation.slug == "umea-kommun"
    assert (registration.name, registration.client_id) == ("Moodle 4.5.6", "client-1")
    # The token endpoint is its own audience: nothing stored for it.
    assert registration.auth_audience is None
    assert [d.deployment_id for d in registration.deployments] == ["5"]


def test_a_registration_token_registers_once(session):
    complete_registration(
        session,
        organisation=NewOrganisation("Umeå kommun"),
        configuration=CONFIGURATION,
        result=answer(),
        registration_token="token-1",
    )

    with pytest.raises(RegistrationRefused) as refused:
        complete_registration(
            session,
            organisation=NewOrganisation("Luleå kommun"),
            configuration=CONFIGURATION,
            result=answer("client-2"),
            registration_token="token-1",
        )

    assert refused.value.reason == "registration_token_used"
    assert count(session, PlatformRegistration) == 1 and count(session, Organisation) == 1


def test_an_invitation_is_spent_by_its_registration(session):
    umea = add_organisation(session, "Umeå kommun")
    _, invitation = create_invitation(session, umea, days=1)
    session.commit()

    complete_registration(
        session,
        organisation=umea,
        configuration=CONFIGURATION,
        result=answer(),
        registration_token="token-1",
        invitation=invitation,
    )
    with pytest.raises(RegistrationRefused) as refused:
        complete_registration(
            session,
            organisation=umea,
            configuration=CONFIGURATION,
            result=answer("client-2"),
            registration_token="token-2",
            invitation=invitation,
        )

    assert refused.value.reason == "invitation_used"
    assert session.get(RegistrationInvitation, invitation.id).used_at is not None
    assert count(session, PlatformRegistration) == 1


def test_moodles_update_refreshes_the_registration_and_is_audited(session):
    first = complete_registration(
        session,
        organisation=NewOrganisation("Umeå kommun"),
        configuration=CONFIGURATION,
        result=answer(),
        registration_token="token-1",
    )
    moved = replace(CONFIGURATION, jwks_uri=MOODLE + "/mod/lti/certs.php?v=2")

    again = complete_registration(
        session,
        organisation=first.organisation,
        configuration=moved,
        result=answer(deployment_id="11"),
        registration_token="token-2",
    )

    assert again.updated and again.changed == ("key_set_url", "deployment")
    event = session.scalars(select(AuditEvent)).one()
    assert (event.action, event.detail["changed"]) == (
        "update_registration",
        ["key_set_url", "deployment"],
    )


def test_another_organisations_client_is_refused_and_no_organisation_is_made(session):
    complete_registration(
        session,
        organisation=NewOrganisation("Umeå kommun"),
        configuration=CONFIGURATION,
        result=answer(),
        registration_token="token-1",
    )

    with pytest.raises(RegistrationRefused) as refused:
        complete_registration(
            session,
            organisation=NewOrganisation("Luleå kommun"),
            configuration=CONFIGURATION,
            result=answer(),
            registration_token="token-2",
        )

    assert refused.value.reason == "already_registered"
    assert count(session, Organisation) == 1
    assert count(session, AuditEvent) == 0


def test_moodles_update_token_names_the_registration_it_is_for(session):
    complete_registration(
        session,
        organisation=NewOrganisation("Umeå kommun"),
        configuration=CONFIGURATION,
        result=answer(deployment_id="5"),
        registration_token="token-1",
    )
    update = moodle_token(scope="reg-update", sub=5)
    new = moodle_token(scope="reg", sub="")

    assert is_update_token(update) and not is_update_token(new)
    assert not is_update_token("not-a-jwt") and not is_update_token(None)
    assert update_target(session, MOODLE, update).client_id == "client-1"
    assert update_target(session, MOODLE, moodle_token(scope="reg-update", sub=6)) is None
    assert update_target(session, "https://other.example", update) is None
    assert update_target(session, MOODLE, new) is None


def test_a_token_spent_by_a_concurrent_registration_is_refused_at_commit(session, database):
    """Both requests passed the early check; the unique token hash decides, in one transaction."""
    umea = add_organisation(session, "Umeå kommun")
    session.commit()

    def store(other, client_id: str) -> None:
        store_registration(
            other,
            organisation=other.get(Organisation, umea.id),
            configuration=CONFIGURATION,
            result=answer(client_id),
            registration_token="the-same-token",
        )

    with database.transaction() as first:
        store(first, "client-one")
    with database.sessions() as second, pytest.raises(RegistrationRefused) as error:
        store(second, "client-two")

    assert error.value.reason == "registration_token_used"
    assert session.scalars(select(PlatformRegistration.client_id)).all() == ["client-one"]
    assert count(session, Deployment) == 1
