"""Login, launch and the Statement API refuse a flood with 429, counted across workers.

Each app here is a separate `create_app` on the same database, as two gunicorn workers
are; the limiter's clock is replaced so a window rolls over without waiting.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select, text

from lti_tool import create_app
from storage import Database, RateLimitWindow
from tests.conftest import FakeClock

LIMIT = 3
# 15 s into a one-minute window: 45 s until it rolls over.
START = 6_000_000 + 15


@pytest.fixture
def limited(settings, database, app):
    """A factory of workers with low limits on the test database (`app` empties it after)."""
    clock = FakeClock(START)

    def worker(db=database, **overrides):
        limits = {
            "rate_limit_login_per_minute": LIMIT,
            "rate_limit_launch_per_minute": LIMIT,
            "rate_limit_statement_api_per_minute": LIMIT,
            **overrides,
        }
        instance = create_app(replace(settings, **limits), db)
        instance.extensions["rate_limiter"].clock = clock
        return instance.test_client()

    worker.clock = clock
    return worker


def test_logins_over_the_limit_are_told_to_wait_in_swedish(limited):
    client = limited()

    answers = [client.get("/lti/login").status_code for _ in range(LIMIT)]
    refused = client.get("/lti/login")

    assert answers == [400] * LIMIT  # counted even when refused for another reason
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    assert "För många förfrågningar från ditt nätverk just nu" in refused.get_data(as_text=True)


def test_the_refusal_speaks_the_persons_chosen_language(limited):
    client = limited()
    for _ in range(LIMIT):
        client.post("/lti/launch")

    refused = client.post("/lti/launch?lang=en")

    assert refused.status_code == 429
    assert "Too many requests from your network right now" in refused.get_data(as_text=True)


def test_a_program_asking_for_json_gets_json(limited):
    client = limited()
    for _ in range(LIMIT):
        client.get("/lti/login")

    refused = client.get("/lti/login", headers={"Accept": "application/json"})

    assert refused.status_code == 429
    assert refused.json["error"] == "too_many_requests"


def test_other_addresses_and_other_routes_are_counted_apart(limited):
    client = limited()
    for _ in range(LIMIT):
        client.get("/lti/login")
    assert client.get("/lti/login").status_code == 429

    another_address = client.get("/lti/login", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    launch = client.post("/lti/launch")

    assert another_address.status_code == 400
    assert launch.status_code == 400


def test_the_limit_is_per_window(limited):
    client = limited()
    for _ in range(LIMIT + 1):
        client.get("/lti/login")
    assert client.get("/lti/login").status_code == 429

    limited.clock.advance(45)

    assert client.get("/lti/login").status_code == 400


def test_two_workers_share_the_count(limited):
    first, second = limited(), limited()
    for _ in range(LIMIT):
        first.get("/lti/login")

    assert second.get("/lti/login").status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_key(limited):
    client = limited(proxy_count=1)
    for _ in range(LIMIT):
        client.get("/lti/login", headers={"X-Forwarded-For": "198.51.100.1"})

    assert client.get("/lti/login", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert client.get("/lti/login", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 400


def test_zero_switches_a_limit_off(limited):
    client = limited(rate_limit_login_per_minute=0)

    assert {client.get("/lti/login").status_code for _ in range(LIMIT + 2)} == {400}


def test_the_statement_api_limits_each_credential_with_xapi_json(limited):
    client = limited()
    for _ in range(LIMIT):
        assert client.get("/xapi/statements", auth=("key-a", "wrong")).status_code == 401

    refused = client.get(
        "/xapi/statements", auth=("key-a", "wrong"), headers={"Accept-Language": "en"}
    )
    swedish = client.get("/xapi/statements", auth=("key-a", "wrong"))
    other_credential = client.get("/xapi/statements", auth=("key-b", "wrong"))

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    assert refused.json == {
        "error": "too_many_requests",
        "message": "Too many requests with this credential; wait 45 seconds.",
    }
    assert swedish.json["message"].startswith("För många förfrågningar med den här")
    assert refused.headers["X-Experience-API-Version"] == "1.0.3"
    assert other_credential.status_code == 401


def test_old_windows_are_cleaned_up(limited, database):
    client = limited()
    client.application.extensions["rate_limiter"].cleanup_chance = lambda: True
    client.get("/lti/login")
    client.get("/lti/login", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    limited.clock.advance(120)

    client.get("/lti/login")

    with database.engine.connect() as connection:
        windows = connection.execute(select(func.count()).select_from(RateLimitWindow)).scalar()
    assert windows == 1


def test_without_its_table_the_limiter_lets_requests_through(limited, own_database_url):
    broken = Database(own_database_url)
    try:
        with broken.engine.begin() as connection:
            connection.execute(text("DROP TABLE rate_limit_windows"))
        client = limited(db=broken)

        assert {client.get("/lti/login").status_code for _ in range(LIMIT + 2)} == {400}
    finally:
        broken.dispose()
