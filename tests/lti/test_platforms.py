"""Registering a platform: one rule for the command line, Dynamic Registration and the dev
platform, committed by the function, so the caller's session holds nothing half done."""

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from lti.platforms import (
    NewOrganisation,
    PlatformEndpoints,
    RegisteredElsewhere,
    register_platform,
)
from storage import Organisation, PlatformRegistration
from storage.organisations import OrganisationRefused
from tests.conftest import _empty_tables

MOODLE = PlatformEndpoints(
    issuer="https://moodle.umea.example",
    client_id="abc123",
    auth_login_url="https://moodle.umea.example/mod/lti/auth.php",
    auth_token_url="https://moodle.umea.example/mod/lti/token.php",
    key_set_url="https://moodle.umea.example/mod/lti/certs.php",
    name="Moodle, Umeå kommun",
)


@pytest.fixture
def session(database):
    with database.sessions() as session:
        yield session
    _empty_tables(database)


def stored(database) -> list[tuple]:
    """What another connection sees: only what was committed."""
    with database.sessions() as other:
        rows = other.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id))
        return [
            (
                r.organisation.slug,
                r.name,
                sorted(d.deployment_id for d in r.deployments),
                r.key_set_url,
            )
            for r in rows
        ]


def test_an_operator_registers_a_moodle_for_a_new_organisation(session, database):
    saved = register_platform(session, NewOrganisation("Umeå kommun", "umea"), MOODLE, ["1", "2"])

    assert saved.created and saved.registration.enabled
    assert stored(database) == [("umea", "Moodle, Umeå kommun", ["1", "2"], MOODLE.key_set_url)]


def test_registering_again_refreshes_the_endpoints_and_adds_only_new_deployments(session, database):
    register_platform(session, NewOrganisation("Umeå kommun", "umea"), MOODLE, ["1"])
    umea = session.scalar(select(Organisation).where(Organisation.slug == "umea"))
    moved = replace(MOODLE, key_set_url=MOODLE.key_set_url + "?v=2", name="")

    again = register_platform(session, umea, moved, ["1", "5"])

    assert not again.created
    assert again.changed == ("key_set_url", "deployment")
    # An empty name keeps the one people know it by; the old deployment stays.
    assert stored(database) == [("umea", "Moodle, Umeå kommun", ["1", "5"], moved.key_set_url)]


def test_the_same_values_again_change_nothing(session):
    register_platform(session, NewOrganisation("Umeå kommun", "umea"), MOODLE, ["1"])
    umea = session.scalar(select(Organisation).where(Organisation.slug == "umea"))

    assert register_platform(session, umea, MOODLE, ["1"]).changed == ()


def test_another_organisations_platform_is_refused_and_no_new_organisation_is_left(
    session, database
):
    register_platform(session, NewOrganisation("Umeå kommun", "umea"), MOODLE, ["1"])

    with pytest.raises(RegisteredElsewhere):
        register_platform(session, NewOrganisation("Luleå kommun", "lulea"), MOODLE, ["9"])

    assert session.scalar(select(func.count()).select_from(Organisation)) == 1
    assert stored(database) == [("umea", "Moodle, Umeå kommun", ["1"], MOODLE.key_set_url)]


def test_a_switched_off_platform_stays_off_unless_switch_on_is_asked_for(session):
    saved = register_platform(session, NewOrganisation("Umeå kommun", "umea"), MOODLE, ["1"])
    saved.registration.enabled = False
    session.commit()
    umea = saved.registration.organisation

    assert not register_platform(session, umea, MOODLE, ["1"]).registration.enabled
    switched = register_platform(session, umea, MOODLE, ["1"], switch_on=True)
    assert switched.registration.enabled and switched.changed == ("enabled",)


def test_a_bad_slug_registers_nothing(session, database):
    with pytest.raises(OrganisationRefused):
        register_platform(session, NewOrganisation("Umeå kommun", "Umeå"), MOODLE, ["1"])

    assert stored(database) == []
