"""Load balancers ask whether the tool lives and whether it can serve."""

from dataclasses import replace

import requests

from lti_tool import create_app
from storage import Database
from tests.support.servers import LiveServer


def readiness(settings, database_url: str, **engine_options):
    """GET /readyz from a tool started on the given database."""
    database = Database(database_url, **engine_options)
    server = LiveServer(create_app(replace(settings, database_url=database_url), database))
    try:
        return requests.get(server.url + "/readyz", timeout=10)
    finally:
        server.stop()
        database.dispose()


def test_liveness(browser, tool_url):
    assert browser.get(tool_url + "/healthz").json() == {"status": "ok"}


def test_ready_when_the_database_is_current(browser, tool_url):
    response = browser.get(tool_url + "/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_not_ready_before_migrations(settings, empty_database_url):
    response = readiness(settings, empty_database_url())

    assert response.status_code == 503
    assert response.json()["reason"] == "migrations_pending"


def test_not_ready_without_a_database(settings):
    response = readiness(
        settings,
        "postgresql+psycopg://postgres@127.0.0.1:1/none",
        connect_args={"connect_timeout": 2},
    )

    assert response.status_code == 503
    assert response.json()["reason"] == "database_unreachable"
