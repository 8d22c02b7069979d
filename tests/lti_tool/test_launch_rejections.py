"""Every way a launch can be wrong is refused with a 4xx and a reason code, never a 500.

The attacks come from the issue's list: replays, forged algorithms, unknown keys,
expired or future tokens, wrong audience or azp, unknown issuer, client or
deployment, a state from another browser, a missing nonce, tampering, size.
Each check of the token and its claims, with its reason code, is tested by calling the
validation itself (tests/lti/test_message_launch.py); here, over HTTP, what only the whole
exchange shows: replays between browsers, the platform's keys fetched and refetched, the
login's refusals, sizes, and the page or JSON the browser gets.
"""

import json

import pytest
from sqlalchemy import select

from lti import claims as c
from storage import PlatformRegistration
from tests.support.browsing import text_of
from tests.support.platforms import SigningKey


def _refused(response, status: int, reason: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, reason), response.text


def test_a_valid_launch_is_accepted(browser, platform):
    response = platform.launch(browser)

    assert response.status_code == 200
    assert "Hello, Lea Learner!" in text_of(response.text)


def test_replay_in_the_same_browser(browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))
    assert platform.post_launch(browser, token, auth["state"]).status_code == 200

    _refused(platform.post_launch(browser, token, auth["state"]), 403, "nonce_replayed")


def test_replay_from_another_browser(browser, other_browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))
    assert platform.post_launch(browser, token, auth["state"]).status_code == 200

    _refused(platform.post_launch(other_browser, token, auth["state"]), 403, "nonce_replayed")


def test_an_unused_token_posted_from_another_browser(browser, other_browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))

    _refused(platform.post_launch(other_browser, token, auth["state"]), 403, "state_mismatch")
    # The rightful browser can still use its launch.
    assert platform.post_launch(browser, token, auth["state"]).status_code == 200


def test_unknown_kid_is_refetched_once_then_refused(browser, platform, key_cache_clock):
    assert platform.launch(browser).status_code == 200
    assert platform.jwks_hits == 1
    stranger = SigningKey("never-published")

    _refused(platform.launch(browser, key=stranger), 401, "unknown_kid")
    assert platform.jwks_hits == 2  # looked again, in case the platform had rotated
    _refused(platform.launch(browser, key=stranger), 401, "unknown_kid")
    assert platform.jwks_hits == 2  # but not again at once: no fetch amplification
    key_cache_clock.advance(31)
    _refused(platform.launch(browser, key=stranger), 401, "unknown_kid")
    assert platform.jwks_hits == 3


def test_a_rotated_platform_key_is_picked_up(browser, platform):
    assert platform.launch(browser).status_code == 200
    rotated = SigningKey("rotated")
    platform.published = [rotated]

    response = platform.launch(browser, key=rotated)

    assert response.status_code == 200
    assert platform.jwks_hits == 2


def test_platform_keys_unreachable(browser, platform, jwks_server):
    jwks_server.failing = True
    try:
        _refused(platform.launch(browser), 503, "platform_keys_unavailable")
    finally:
        jwks_server.failing = False


def test_unknown_issuer_at_login(browser, platform):
    response = platform.start_login(browser, iss="https://evil.example.invalid")
    _refused(response, 403, "unknown_issuer")


def test_unknown_client_id_at_login(browser, platform):
    _refused(platform.start_login(browser, client_id="who-is-this"), 403, "unknown_client")


def test_unknown_deployment_at_login(browser, platform):
    response = platform.start_login(browser, method="GET", lti_deployment_id="99")
    _refused(response, 403, "unknown_deployment")


def test_oversized_token(browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"], padding="x" * 28_000))

    _refused(platform.post_launch(browser, token, auth["state"]), 413, "token_too_large")


def test_oversized_request_body(browser, platform):
    response = browser.post(
        platform.tool_url + "/lti/launch",
        data={"id_token": "x" * 200_000, "state": "s"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413


# Every claim rule and its reason code is in tests/lti/test_message_launch.py (called
# directly); these two show a claim refusal reaching the platform's browser with its status.
@pytest.mark.parametrize(
    ("overrides", "status", "reason"),
    [
        ({"sub": "s" * 256}, 413, "claim_too_large"),
        ({c.CONTEXT: "not an object"}, 400, "malformed_token"),
    ],
    ids=["long-sub", "context-not-object"],
)
def test_malformed_claims(browser, platform, overrides, status, reason):
    _refused(platform.launch(browser, **overrides), status, reason)


def test_garbage_instead_of_a_token(browser, platform):
    auth = platform.login(browser)
    _refused(platform.post_launch(browser, "abc", auth["state"]), 400, "malformed_token")
    _refused(platform.post_launch(browser, "a.b.c", auth["state"]), 400, "malformed_token")
    _refused(platform.post_launch(browser, "", auth["state"]), 400, "missing_id_token")


def test_login_without_its_parameters(browser, platform):
    response = platform.start_login(browser, login_hint=None, target_link_uri=None)
    _refused(response, 400, "missing_login_parameter")


def test_refusal_page_speaks_the_launch_language_and_shows_the_code(browser, platform):
    auth = platform.login(browser)
    claims = platform.claims(auth["nonce"], aud="another-tool")
    token = platform.sign(claims)

    english = browser.post(
        platform.tool_url + "/lti/launch", data={"id_token": token, "state": auth["state"]}
    )
    assert english.status_code == 401
    assert "The launch message was meant for another tool." in text_of(english.text)
    assert "Code: wrong_audience" in text_of(english.text)

    auth = platform.login(browser)
    claims = platform.claims(auth["nonce"], aud="another-tool", **{c.LAUNCH_PRESENTATION: None})
    swedish = browser.post(
        platform.tool_url + "/lti/launch",
        data={"id_token": platform.sign(claims), "state": auth["state"]},
    )
    assert "Startmeddelandet var avsett för ett annat verktyg." in text_of(swedish.text)


def test_launch_by_get_is_a_clear_405(browser, tool_url):
    response = browser.get(tool_url + "/lti/launch")
    assert response.status_code == 405
    assert "Sidan kan inte användas på det sättet." in text_of(response.text)


def test_no_response_leaks_a_stack_trace(browser, platform):
    response = platform.post_launch(browser, "x" * 10 + "." + "é" * 5 + ".", "s")
    assert response.status_code < 500
    assert "Traceback" not in response.text


def test_json_body_is_well_formed(browser, platform):
    body = platform.launch(browser, aud="another-tool").json()
    assert set(body) == {"error", "message"}
    assert json.dumps(body)


def test_language_links_on_a_refusal_page_lead_somewhere_useful(browser, platform):
    response = browser.post(platform.tool_url + "/lti/launch", data={"id_token": "x", "state": "s"})

    assert 'href="/?lang=en"' in response.text
    assert "Your role" not in browser.get(platform.tool_url + "/?lang=en").text
    assert browser.get(platform.tool_url + "/?lang=en").status_code == 200


def test_a_script_url_as_return_url_is_not_linked(browser, platform):
    presentation = {"locale": "en", "return_url": "javascript:alert(1)"}
    page = platform.launch(browser, **{c.LAUNCH_PRESENTATION: presentation})

    assert page.status_code == 200
    assert "javascript:" not in page.text
    assert "Back to the course" not in text_of(page.text)


def test_the_registration_remembers_its_last_launch_and_last_refusal(browser, platform, db):
    assert platform.launch(browser).status_code == 200
    platform.launch(browser, aud="another-tool")

    registration = db.scalar(select(PlatformRegistration))
    db.refresh(registration)
    assert registration.last_launch_at is not None
    assert registration.last_error.startswith("wrong_audience")
    assert registration.last_error_at >= registration.last_launch_at


def test_a_launch_signed_for_another_hosts_address_is_refused(browser, platform):
    """The attack the independent suite got through: a valid token whose target is elsewhere."""
    response = platform.launch(browser, **{c.TARGET_LINK_URI: "https://evil.example/lti/launch"})

    _refused(response, 403, "wrong_target_link_uri")
