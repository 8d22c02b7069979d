"""Load balancers ask whether the tool lives and whether it can serve."""

import requests

from lti_tool import create_app
from storage import Database
from tests.support.servers import LiveServer


def test_liveness(browser, tool_url):
    assert browser.get(tool_url + "/healthz").json() == {"status": "ok"}


def test_ready_when_the_database_is_current(browser, tool_url):
    response = browser.get(tool_url + "/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_not_ready_before_migrations(settings, empty_database_url):
    from dataclasses import replace

    url = empty_database_url()
    database = Database(url)
    server = LiveServer(create_app(replace(settings, database_url=url), database))
    try:
        response = requests.get(server.url + "/readyz", timeout=5)
    finally:
        server.stop()
        database.dispose()

    assert response.status_code == 503
    assert response.json()["reason"] == "migrations_pending"


def test_not_ready_without_a_database(settings):
    from dataclasses import replace

    url = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    database = Database(url, connect_args={"connect_timeout": 2})
    server = LiveServer(create_app(replace(settings, database_url=url), database))
    try:
        response = requests.get(server.url + "/readyz", timeout=10)
    finally:
        server.stop()
        database.dispose()

    assert response.status_code == 503
    assert response.json()["reason"] == "database_unreachable"
