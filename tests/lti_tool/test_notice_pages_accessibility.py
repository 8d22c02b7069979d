"""The pages people meet when the tool turns them away for a while (too many launches from
their network) or for good (their session ended) pass axe-core, in Swedish and English."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from tests.lti_tool.test_accessibility import LANGUAGES, heading, launch_from_dev_platform
from tests.support.accessibility import assert_accessible

EXPIRED = {
    "sv": "Din session har gått ut. Öppna verktyget igen från din kurs i Moodle.",
    "en": "Your session has expired. Open the tool again from your course in Moodle.",
}
TOO_MANY = {
    "sv": "För många förfrågningar från ditt nätverk just nu. Vänta en minut och försök igen.",
    "en": "Too many requests from your network right now. Wait a minute and try again.",
}


@pytest.fixture
def one_login_a_minute(app):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = replace(settings, rate_limit_login_per_minute=1)
    yield
    app.config["SETTINGS"] = settings


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_too_many_requests_page(page, tool_url, lang, one_login_a_minute):
    # The second login within a minute is refused; three tries span at most one new minute.
    for _ in range(3):
        page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
        page.get_by_test_id("launch-learner").click()
        page.wait_for_load_state()
        if page.get_by_text(TOO_MANY[lang]).count():
            break
    expect(page.get_by_text(TOO_MANY[lang])).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_session_expired_page(page, app, tool_url, lang):
    launch_from_dev_platform(page, tool_url, "learner", lang)
    app.session_interface.clock = lambda: time.time() + 24 * 3600
    try:
        response = page.goto(f"{tool_url}/my/plan{LANGUAGES[lang]}")
        assert response.status == 401
        expect(page.get_by_text(EXPIRED[lang])).to_be_visible()
    finally:
        del app.session_interface.clock
    expect(heading(page)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)
