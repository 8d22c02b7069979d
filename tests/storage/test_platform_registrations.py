"""The admin pages show the instance owner every organisation's platforms and an
organisation's administrator only their own's."""

from __future__ import annotations

import pytest

from storage import PlatformRegistration
from storage.organisations import (
    enabled_platform_urls,
    organisation_row,
    registrations_of,
    switch_registration,
)
from tests.support.organisations import new_organisation, new_registration


@pytest.fixture
def two(database):
    """(organisation, its registration) twice."""
    ours, theirs = new_organisation(database), new_organisation(database)
    return (ours, new_registration(database, ours)), (theirs, new_registration(database, theirs))


def test_an_administrator_sees_only_their_organisation_s_platforms(database, two):
    (ours, mine), (_theirs, other) = two
    with database.sessions() as session:
        assert [r.id for r in registrations_of(session, ours)] == [mine]
        every = {r.id for r in registrations_of(session, None)}
    assert {mine, other} <= every


def test_another_organisation_s_row_does_not_exist_for_an_administrator(database, two):
    (ours, _mine), (_theirs, other) = two
    with database.sessions() as session:
        assert organisation_row(session, PlatformRegistration, other, ours) is None
        assert organisation_row(session, PlatformRegistration, other, None).id == other


def test_a_platform_switched_off_may_no_longer_frame_the_tool(database, two):
    (ours, mine), _ = two
    with database.sessions() as session:
        registration = organisation_row(session, PlatformRegistration, mine, ours)
        issuer = registration.issuer
        switch_registration(session, registration, False)
    with database.engine.connect() as connection:  # committed
        assert issuer not in {url for urls in enabled_platform_urls(connection) for url in urls}
