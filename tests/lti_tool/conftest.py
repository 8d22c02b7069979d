"""Browser fixtures for the tool's pages: one Chromium per test session, a fresh tab per test."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect

from lti_tool.cli import cli
from tests.support.accessibility import launched_chromium
from tests.support.admin import ADMIN_SECRET
from tests.support.platforms import TestPlatform
from tests.support.statement_store import organisation, reader

PAGE_TIMEOUT_MS = 15_000
# `expect` waits for what a person would see with its own timeout (5 s unless told): on a
# loaded two-core CI machine a launch through a framing platform took longer than that.
expect.set_options(timeout=PAGE_TIMEOUT_MS)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, started once; a missing browser fails the tests that use it."""
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def page(chromium, tool_url):
    """A new tab in a new profile (no cookies), as a person opening the tool for the first time.

    The tool's Content-Security-Policy allows only its own scripts, so the profile bypasses
    CSP to let the test inject axe-core; the tool's own scripts run as they do for anyone.
    """
    context = chromium.new_context(bypass_csp=True, locale="sv-SE")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def devices(chromium, tool_url):
    """Opens a new browser profile (fresh cookies: another device) and returns its tab."""
    opened = []

    def open_device(**options):
        context = chromium.new_context(bypass_csp=True, locale="sv-SE", **options)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        opened.append(context)
        return context.new_page()

    yield open_device
    for context in opened:
        context.close()


@pytest.fixture
def kompetenslyft(app, settings):
    """Runs the CLI against the test database, as an operator's shell would."""
    runner = CliRunner()
    env = {
        "KOMPETENSLYFT_MODE": "development",
        "KOMPETENSLYFT_DATABASE_URL": settings.database_url,
        "KOMPETENSLYFT_INSTANCE_PATH": str(settings.instance_path),
    }

    def run(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), env=env, input=input, catch_exceptions=False)

    run.env = env

    return run


@pytest.fixture
def admin_secret(app):
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(original, admin_secret=ADMIN_SECRET)
    yield ADMIN_SECRET
    app.config["SETTINGS"] = original


@pytest.fixture
def platform_b(tool_url, jwks_server, db) -> TestPlatform:
    """A second organisation's Moodle."""
    other = TestPlatform(
        tool_url,
        jwks_server,
        issuer="https://moodle.kommun-b.test.invalid",
        client_id="client-b",
        name="platform-b",
    )
    registration = other.register(db, organisation_slug="kommun-b")
    registration.organisation.name = "Kommun B"
    db.commit()
    return other


@pytest.fixture
def moodle():
    """A Moodle 4.5 that registers tools (tests/support/registration_platform.py)."""
    from tests.support.registration_platform import RegistrationPlatform

    platform = RegistrationPlatform()
    yield platform
    platform.stop()


@pytest.fixture
def invite(app, settings, tool_url):
    """`kompetenslyft platform invite` as the operator runs it; returns the printed link."""

    def run(*args: str, organisation: str = "umea", name: str | None = "Umeå kommun") -> str:
        env = {
            "KOMPETENSLYFT_MODE": "development",
            "KOMPETENSLYFT_DATABASE_URL": settings.database_url,
            "KOMPETENSLYFT_INSTANCE_PATH": str(settings.instance_path),
            "KOMPETENSLYFT_PUBLIC_URL": tool_url,
        }
        options = ["--organisation", organisation, *(["--organisation-name", name] if name else [])]
        result = CliRunner().invoke(
            cli, ["platform", "invite", *options, *args], env=env, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    return run


@pytest.fixture
def org_a(db):
    """An organisation whose statements an xAPI client reads (the Statement API tests)."""
    return organisation(db, "kommun-a")


@pytest.fixture
def client_a(db, tool_url, org_a):
    """An xAPI client holding a Statement API credential of `org_a`."""
    return reader(db, tool_url, org_a)
