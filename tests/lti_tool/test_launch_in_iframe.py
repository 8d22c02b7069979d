"""A launch inside another site's iframe, where the browser keeps no cookie of the tool."""

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from storage import Deployment, LoginNonce, Organisation, PlatformRegistration
from tests.support.framing_platform import FramingPlatform


@pytest.fixture
def moodle(tool_url, db):
    platform = FramingPlatform(tool_url)
    db.add(
        PlatformRegistration(
            organisation=Organisation(slug="framing", name="Ramkommunen"),
            issuer=platform.url,
            client_id=platform.client_id,
            auth_login_url=platform.url + "/auth",
            auth_token_url=platform.url + "/token",
            key_set_url=platform.url + "/jwks",
            deployments=[Deployment(deployment_id=platform.deployment_id)],
        )
    )
    db.commit()
    yield platform
    platform.stop()


@pytest.mark.parametrize(
    ("storage", "binding"), [(True, "platform_storage"), (False, "cookieless")]
)
def test_a_learner_launches_and_answers_inside_the_iframe(
    page, moodle, db, tool_url, storage, binding
):
    page.goto(moodle.course_page_url(storage))
    tool = page.frame_locator("iframe[name=tool]")

    expect(tool.get_by_role("heading", name="Hej Lea Learner!")).to_be_visible()
    tool.get_by_test_id("start").click()
    expect(tool.get_by_text("Fråga 1 av 21", exact=True)).to_be_visible()
    tool.locator("label", has_text="Ja, på egen hand").click()
    tool.get_by_test_id("next").click()
    expect(tool.get_by_text("Fråga 2 av 21", exact=True)).to_be_visible()

    # The browser kept no cookie of the tool: everything ran without one.
    assert [c for c in page.context.cookies() if c["domain"] == "127.0.0.1"] == []
    assert db.scalar(select(LoginNonce.binding)) == binding


def test_replay_protection_holds_without_cookies(page, moodle, tool_url, db):
    page.goto(moodle.course_page_url(storage=False))
    heading = page.frame_locator("iframe[name=tool]").get_by_role(
        "heading", name="Hej Lea Learner!"
    )
    expect(heading).to_be_visible()
    state = db.scalar(select(LoginNonce.state))

    replay = requests.post(
        tool_url + "/lti/launch",
        data={"id_token": moodle.issued[-1], "state": state},
        headers={"Accept": "application/json", "User-Agent": page.evaluate("navigator.userAgent")},
        timeout=10,
    )

    assert (replay.status_code, replay.json()["error"]) == (403, "nonce_replayed")


def test_an_unused_cookieless_login_cannot_be_taken_over_by_another_browser(
    browser, moodle, tool_url, db
):
    """Another browser (another user agent) posting a token for a cookieless login is refused."""
    start = browser.get(
        tool_url + "/lti/login",
        params={
            "iss": moodle.url,
            "login_hint": "3",
            "client_id": moodle.client_id,
            "target_link_uri": tool_url + "/lti/launch",
        },
        headers={
            "Sec-Fetch-Dest": "iframe",
            "Sec-Fetch-Site": "cross-site",
            "User-Agent": "Victim/1.0",
        },
    )
    assert "cookie-check.js" in start.text
    login = db.scalar(select(LoginNonce))
    switched = requests.post(
        tool_url + "/lti/login/cookieless",
        data={"state": login.state},
        headers={"User-Agent": "Victim/1.0"},
        timeout=10,
    )
    assert switched.status_code == 200
    token = moodle.key_sign(
        {
            "iss": moodle.url,
            "aud": moodle.client_id,
            "sub": "3",
            "nonce": login.nonce,
            "iat": 0,
            "exp": 0,
        }
    )

    stolen = requests.post(
        tool_url + "/lti/launch",
        data={"id_token": token, "state": login.state},
        headers={"Accept": "application/json", "User-Agent": "Thief/2.0"},
        timeout=10,
    )

    assert (stolen.status_code, stolen.json()["error"]) == (403, "state_mismatch")
