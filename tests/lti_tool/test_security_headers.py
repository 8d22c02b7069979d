"""Only registered platforms may frame the tool; cookies work inside a platform's iframe."""

from dataclasses import replace

import pytest
from sqlalchemy import update

from lti_tool import create_app
from storage import PlatformRegistration


def frame_ancestors(response) -> list[str]:
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    return policy["frame-ancestors"].split()


def test_registered_platforms_may_frame_the_tool_and_no_one_else(browser, platform, tool_url):
    response = browser.get(tool_url + "/")

    assert frame_ancestors(response) == ["'self'", "https://moodle.test.invalid"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]


def test_over_http_no_hsts_and_nothing_forbids_framing_by_the_platform(browser, platform, tool_url):
    """HSTS over plain http would be ignored at best and pin a dev host at worst; and an
    X-Frame-Options header would keep Moodle from framing the tool (CSP decides that)."""
    for path in ("/", "/page-that-does-not-exist", "/lti/login"):
        response = browser.get(tool_url + path)

        assert "Strict-Transport-Security" not in response.headers, path
        assert "X-Frame-Options" not in response.headers, path
        assert frame_ancestors(response) == ["'self'", "https://moodle.test.invalid"], path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


def test_a_disabled_platform_may_no_longer_frame_the_tool(browser, platform, tool_url, db, app):
    db.execute(update(PlatformRegistration).values(enabled=False))
    db.commit()
    app.extensions["frame_ancestors"].invalidate()

    assert frame_ancestors(browser.get(tool_url + "/")) == ["'self'"]


@pytest.fixture
def https_login(settings, database, platform):
    """Login initiation at the tool as deployed: behind https, framed cross-site by Moodle."""
    client = create_app(replace(settings, public_url="https://tool.example.se"), database)
    client = client.test_client()

    def login(**extra):
        params = {
            "iss": platform.issuer,
            "login_hint": "3",
            "client_id": platform.client_id,
            "target_link_uri": "https://tool.example.se/lti/launch",
            **extra,
        }
        return client.get("/lti/login", base_url="https://tool.example.se", query_string=params)

    return login


def test_behind_https_login_cookies_are_fit_for_a_cross_site_iframe(https_login):
    response = https_login()

    state_cookie = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("lti-state-")
    )
    assert "Secure" in state_cookie
    assert "SameSite=None" in state_cookie
    assert "HttpOnly" in state_cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert frame_ancestors(response) == ["'self'", "https://moodle.test.invalid"]
    assert "X-Frame-Options" not in response.headers


def test_behind_https_a_blocked_cookie_leads_to_a_new_window(https_login):
    response = https_login()
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "cookie-check.js" in page
    assert "https://moodle.test.invalid/mod/lti/auth.php?" in page
    assert "lti1p3_new_window=1" in page
    assert 'target="_blank"' in page


def test_a_new_window_login_goes_straight_to_the_platform(https_login):
    response = https_login(lti1p3_new_window="1")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://moodle.test.invalid/mod/lti/auth.php")
