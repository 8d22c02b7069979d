"""The one rule of what a manager sees, and attempts made before it knowing what they were
made under."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, text

from storage import Database, migrate
from storage.result_sharing import (
    ACTIVITY_SAYS_NO,
    ORGANISATION_SAYS_NO,
    SHARED,
    activity_shares,
    manager_sees,
)


@pytest.mark.parametrize(
    ("when_started", "now", "organisation", "outcome"),
    [
        (True, True, True, SHARED),
        (True, None, True, SHARED),  # the activity is gone: what it said when answered holds
        (False, True, True, ACTIVITY_SAYS_NO),  # a later "yes" opens nothing given under "no"
        (True, False, True, ACTIVITY_SAYS_NO),  # a later "no" hides what was given under "yes"
        (False, None, True, ACTIVITY_SAYS_NO),
        (True, True, False, ORGANISATION_SAYS_NO),  # the organisation only narrows
        (False, False, False, ACTIVITY_SAYS_NO),
    ],
)
def test_a_manager_sees_a_result_only_when_every_key_says_yes(
    when_started, now, organisation, outcome
):
    assert (
        manager_sees(
            shared_when_started=when_started, activity_now=now, organisation_shares=organisation
        )
        == outcome
    )


@pytest.mark.parametrize(
    ("settings", "custom", "shares"),
    [
        ({}, {}, False),  # an activity that does not say, says no (as its settings page shows)
        ({}, {"share_with_manager": "yes"}, True),
        ({}, {"share_with_manager": " Ja "}, True),
        ({}, {"share_with_manager": "no"}, False),
        ({"share_with_manager": False}, {"share_with_manager": "yes"}, False),  # the tool's wins
        ({"share_with_manager": True}, {"share_with_manager": "no"}, True),
        (None, None, False),
    ],
)
def test_what_an_activity_says(settings, custom, shares):
    assert activity_shares(settings, custom) is shares


def test_attempts_made_before_the_rule_get_what_their_activity_says(empty_database_url):
    url = empty_database_url()
    database = Database(url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    try:
        migrate.upgrade(url, "0014")
        tables = MetaData()
        tables.reflect(database.engine)
        t = tables.tables
        with database.engine.begin() as connection:
            connection.execute(
                t["organisations"].insert(),
                {"id": 1, "slug": "umea", "name": "Umeå kommun", "created_at": now},
            )
            connection.execute(
                t["platform_registrations"].insert(),
                {
                    "id": 1,
                    "organisation_id": 1,
                    "name": "Moodle",
                    "issuer": "https://m.example",
                    "client_id": "c",
                    "auth_login_url": "https://m.example/a",
                    "auth_token_url": "https://m.example/t",
                    "key_set_url": "https://m.example/k",
                    "enabled": True,
                    "created_at": now,
                },
            )
            connection.execute(
                t["deployments"].insert(),
                {"id": 1, "registration_id": 1, "deployment_id": "1", "created_at": now},
            )
            links = {
                "yes": ({}, {"share_with_manager": "yes"}),
                "said-no-in-the-tool": (
                    {"share_with_manager": False},
                    {"share_with_manager": "yes"},
                ),
                "unsaid": ({}, {"instrument": "digcomp-2.2-short"}),
            }
            for number, (name, (settings, custom)) in enumerate(links.items(), start=1):
                connection.execute(
                    t["resource_links"].insert(),
                    {
                        "id": number,
                        "deployment_id": 1,
                        "lti_resource_link_id": name,
                        "custom": custom,
                        "settings": settings,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            connection.execute(
                t["people"].insert(),
                {
                    "id": 1,
                    "organisation_id": 1,
                    "issuer": "https://m.example",
                    "subject": "3",
                    "created_at": now,
                    "updated_at": now,
                },
            )
            connection.execute(
                t["frameworks"].insert(),
                {"id": 1, "key": "f", "version": "1", "document": {}, "created_at": now},
            )
            connection.execute(
                t["instruments"].insert(),
                {
                    "id": 1,
                    "framework_id": 1,
                    "key": "i",
                    "version": "1",
                    "document": {},
                    "created_at": now,
                },
            )
            for number, link in enumerate([1, 2, 3, None], start=1):
                connection.execute(
                    t["attempts"].insert(),
                    {
                        "id": f"attempt-{number}",
                        "person_id": 1,
                        "resource_link_id": link,
                        "instrument_id": 1,
                        "status": "submitted",
                        "started_at": now,
                        "updated_at": now,
                    },
                )

        migrate.upgrade(url)

        with database.engine.connect() as connection:
            shared = dict(
                connection.execute(
                    text("SELECT id, shared_with_manager FROM attempts ORDER BY id")
                ).all()
            )
        assert {key: bool(value) for key, value in shared.items()} == {
            "attempt-1": True,
            "attempt-2": False,
            "attempt-3": False,
            "attempt-4": False,  # its activity is gone: nobody can tell what it was made under
        }
    finally:
        database.dispose()
