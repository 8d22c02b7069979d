"""An upgrade: a database in use since an old release is migrated forward and keeps serving.

tests/storage/test_migrations.py checks the schema (up, down, models agree) and a few rows
from the first revisions; this is the operator's upgrade, on a database with the rows an
organisation has after months of use.
"""

from __future__ import annotations

import requests
from sqlalchemy import text

from config import load_settings
from lti_tool import create_app
from storage import Database, migrate
from tests.deploy.populated import ISSUER, OLD_REVISION, REGISTRATION_NAME, check_survived, populate
from tests.support.admin import ADMIN_SECRET
from tests.support.browsing import form_fields
from tests.support.servers import LiveServer


def upgraded_tool_serves(database_url: str, instance_path, kid: str) -> None:
    """The tool on the upgraded database: ready, still publishing Moodle's key, still listing
    the registration to the instance owner."""
    settings = load_settings(
        environ={},
        overrides={
            "mode": "development",
            "dev_platform": False,
            "database_url": database_url,
            "instance_path": str(instance_path),
            "secret_key": "upgrade-test-secret-key-0123456789abcdef",
            "admin_secret": ADMIN_SECRET,
        },
    )
    database = Database(database_url)
    server = LiveServer(create_app(settings, database))
    try:
        with requests.Session() as browser:
            ready = browser.get(server.url + "/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
            keys = browser.get(server.url + "/.well-known/jwks.json", timeout=10).json()
            assert kid in [key["kid"] for key in keys["keys"]]
            login = browser.get(server.url + "/admin/login", timeout=10)
            browser.post(
                server.url + "/admin/login",
                data={**form_fields(login.text), "admin_secret": ADMIN_SECRET},
                timeout=10,
            )
            admin = browser.get(server.url + "/admin/", timeout=10)
            assert admin.status_code == 200
            assert REGISTRATION_NAME in admin.text
            assert ISSUER in admin.text
    finally:
        server.stop()
        database.dispose()


def test_a_populated_database_upgrades_to_head_and_keeps_serving(empty_database_url, tmp_path):
    url = empty_database_url()
    migrate.upgrade(url, OLD_REVISION)
    database = Database(url)
    try:
        with database.engine.begin() as connection:
            kid = populate(connection)

        migrate.upgrade(url)

        assert migrate.is_current(database.engine)
        check_survived(database, kid)
        with database.engine.connect() as connection:
            people = connection.execute(text("SELECT count(*) FROM people")).scalar()
        assert people == 2
    finally:
        database.dispose()
    upgraded_tool_serves(url, tmp_path / "instance", kid)
