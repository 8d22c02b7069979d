"""Every way a launch can be wrong is refused with a 4xx and a reason code, never a 500.

The attacks come from the issue's list: replays, forged algorithms, unknown keys,
expired or future tokens, wrong audience or azp, unknown issuer, client or
deployment, a state from another browser, a missing nonce, tampering, size.
"""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lti import claims as c
from storage import LoginNonce, PlatformRegistration, utcnow
from tests.support.browsing import text_of
from tests.support.platforms import SigningKey, b64


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


def test_alg_none(browser, platform):
    auth = platform.login(browser)
    header = {"alg": "none", "typ": "JWT", "kid": platform.key.kid}
    token = f"{b64(header)}.{b64(platform.claims(auth['nonce']))}."

    _refused(platform.post_launch(browser, token, auth["state"]), 401, "unsupported_algorithm")


def test_hs256_signed_with_the_platforms_public_key(browser, platform):
    auth = platform.login(browser)
    header = {"alg": "HS256", "typ": "JWT", "kid": platform.key.kid}
    signing_input = f"{b64(header)}.{b64(platform.claims(auth['nonce']))}"
    mac = hmac.new(platform.key.public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    _refused(platform.post_launch(browser, token, auth["state"]), 401, "unsupported_algorithm")


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


def test_expired_token(browser, platform):
    now = int(time.time())
    _refused(platform.launch(browser, iat=now - 200, exp=now - 60), 401, "token_expired")


def test_token_issued_in_the_future(browser, platform):
    now = int(time.time())
    _refused(platform.launch(browser, iat=now + 120, exp=now + 180), 401, "token_not_yet_valid")


def test_small_clock_skew_is_tolerated(browser, platform):
    now = int(time.time())
    assert platform.launch(browser, iat=now + 5, exp=now + 65).status_code == 200


def test_wrong_audience(browser, platform):
    _refused(platform.launch(browser, aud="another-tool"), 401, "wrong_audience")


def test_audience_as_a_list_is_accepted(browser, platform):
    assert platform.launch(browser, aud=[platform.client_id]).status_code == 200


def test_several_audiences_need_azp(browser, platform):
    _refused(platform.launch(browser, aud=[platform.client_id, "other"]), 401, "wrong_azp")
    several = platform.launch(browser, aud=[platform.client_id, "other"], azp=platform.client_id)
    assert several.status_code == 200


def test_wrong_azp(browser, platform):
    _refused(platform.launch(browser, azp="another-tool"), 401, "wrong_azp")


def test_unknown_issuer_in_the_token(browser, platform):
    _refused(platform.launch(browser, iss="https://evil.example.invalid"), 403, "unknown_issuer")


def test_unknown_issuer_at_login(browser, platform):
    response = platform.start_login(browser, iss="https://evil.example.invalid")
    _refused(response, 403, "unknown_issuer")


def test_unknown_client_id_at_login(browser, platform):
    _refused(platform.start_login(browser, client_id="who-is-this"), 403, "unknown_client")


def test_unknown_deployment(browser, platform):
    _refused(platform.launch(browser, **{c.DEPLOYMENT_ID: "99"}), 403, "unknown_deployment")


def test_unknown_deployment_at_login(browser, platform):
    response = platform.start_login(browser, method="GET", lti_deployment_id="99")
    _refused(response, 403, "unknown_deployment")


def test_disabled_registration(browser, platform, db):
    auth = platform.login(browser)
    db.execute(update(PlatformRegistration).values(enabled=False))
    db.commit()
    token = platform.sign(platform.claims(auth["nonce"]))

    _refused(platform.post_launch(browser, token, auth["state"]), 403, "registration_disabled")


def test_state_from_another_login(browser, other_browser, platform):
    mine = platform.login(browser)
    theirs = platform.login(other_browser)
    token = platform.sign(platform.claims(theirs["nonce"]))

    _refused(platform.post_launch(browser, token, theirs["state"]), 403, "state_mismatch")
    _refused(platform.post_launch(browser, token, mine["state"]), 403, "nonce_mismatch")


def test_unknown_or_missing_state(browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"]))

    _refused(platform.post_launch(browser, token, "made-up-state"), 400, "unknown_state")
    _refused(platform.post_launch(browser, token, ""), 400, "missing_state")


def test_expired_login(browser, platform, db):
    auth = platform.login(browser)
    db.execute(update(LoginNonce).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    token = platform.sign(platform.claims(auth["nonce"]))

    _refused(platform.post_launch(browser, token, auth["state"]), 400, "login_expired")


def test_missing_nonce(browser, platform):
    auth = platform.login(browser)
    token = platform.sign(platform.claims(auth["nonce"], nonce=None))

    _refused(platform.post_launch(browser, token, auth["state"]), 400, "missing_nonce")


def test_tampered_payload(browser, platform):
    auth = platform.login(browser)
    header, _body, signature = platform.sign(platform.claims(auth["nonce"])).split(".")
    forged = b64(platform.claims(auth["nonce"], sub="1", name="Admin User"))

    _refused(
        platform.post_launch(browser, f"{header}.{forged}.{signature}", auth["state"]),
        401,
        "bad_signature",
    )


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


@pytest.mark.parametrize(
    ("overrides", "status", "reason"),
    [
        ({"sub": "s" * 256}, 413, "claim_too_large"),
        ({"name": "n" * 300}, 413, "claim_too_large"),
        ({c.ROLES: ["r"] * 51}, 413, "claim_too_large"),
        ({c.VERSION: "1.1"}, 400, "wrong_lti_version"),
        ({c.MESSAGE_TYPE: "LtiStartProctoring"}, 400, "unsupported_message_type"),
        ({c.ROLES: None}, 400, "missing_claim"),
        ({"sub": None}, 400, "missing_claim"),
        ({c.RESOURCE_LINK: {"title": "no id"}}, 400, "missing_claim"),
        ({c.DEPLOYMENT_ID: None}, 400, "missing_claim"),
        ({c.CONTEXT: "not an object"}, 400, "malformed_token"),
    ],
    ids=[
        "long-sub",
        "long-name",
        "many-roles",
        "version",
        "message-type",
        "no-roles",
        "no-sub",
        "no-resource-link-id",
        "no-deployment",
        "context-not-object",
    ],
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


def test_a_launch_for_another_target_than_its_login_is_refused(browser, platform):
    auth = platform.login(browser, target_link_uri=platform.tool_url + "/lti/launch?item=a")
    body = platform.claims(auth["nonce"], **{c.TARGET_LINK_URI: platform.tool_url + "/lti/launch"})

    response = platform.post_launch(browser, platform.sign(body), auth["state"])

    _refused(response, 403, "wrong_target_link_uri")


def test_a_launch_without_a_target_is_refused(browser, platform):
    _refused(platform.launch(browser, **{c.TARGET_LINK_URI: None}), 400, "missing_claim")
