"""The first hop of a launch, called directly: the platform says who is coming, the tool
stores a fresh state and nonce and answers with the authentication request; and which
browser may later finish that login (its cookie, the platform's storage, or its user agent)."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from lti.browser_binding import (
    Binding,
    BrowserEvidence,
    NeedsPlatformStorage,
    check_binding,
    fingerprint,
)
from lti.errors import LaunchRejected
from lti.login import MAX_PARAMETER_LENGTH, start_login, switch_to_cookieless
from storage import LoginNonce, PlatformRegistration, utcnow
from tests.support.platforms import TestPlatform

# Set up before `db` and so emptied after its session closed.
pytestmark = pytest.mark.usefixtures("clean_database")

TOOL = "https://tool.example"
FIREFOX = "Firefox"


@pytest.fixture
def platform(jwks_server, db) -> TestPlatform:
    test_platform = TestPlatform(TOOL, jwks_server, name=f"p{uuid.uuid4().hex[:8]}")
    test_platform.register(db)
    return test_platform


def login(db, platform: TestPlatform, **params):
    """Moodle's login initiation; a None parameter is left out."""
    sent = {
        "iss": platform.issuer,
        "login_hint": "3",
        "target_link_uri": TOOL + "/lti/launch",
        "lti_message_hint": '{"cmid":2}',
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        **params,
    }
    started = start_login(
        {name: value for name, value in sent.items() if value is not None},
        db,
        launch_url=TOOL + "/lti/launch",
        lifetime=timedelta(minutes=10),
        user_agent=FIREFOX,
    )
    db.commit()
    return started


def refused(db, platform, **params) -> tuple[int, str]:
    with pytest.raises(LaunchRejected) as refusal:
        login(db, platform, **params)
    db.rollback()
    return refusal.value.status, refusal.value.reason


def stored(db, state: str) -> LoginNonce:
    db.expire_all()
    return db.scalar(select(LoginNonce).where(LoginNonce.state == state))


def test_a_login_answers_with_the_platforms_authentication_request_and_stores_it(db, platform):
    started = login(db, platform)

    url = urlsplit(started.url)
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == platform.issuer + "/mod/lti/auth.php"
    assert {name: query[name] for name in query if name not in ("state", "nonce")} == {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": TOOL + "/lti/launch",
        "login_hint": "3",
        "lti_message_hint": '{"cmid":2}',
    }
    row = stored(db, started.state)
    assert (row.nonce, row.binding, row.target_link_uri) == (
        query["nonce"],
        Binding.COOKIE.value,
        TOOL + "/lti/launch",
    )
    assert row.user_agent_hash == fingerprint(FIREFOX) and row.consumed_at is None
    assert started.binding is Binding.COOKIE and started.browser_secret is None
    assert login(db, platform).state != started.state


def test_a_login_with_the_platforms_storage_keeps_only_a_fingerprint_of_its_secret(db, platform):
    started = login(db, platform, lti_storage_target="_parent")

    row = stored(db, started.state)
    assert started.binding is Binding.PLATFORM_STORAGE and started.storage_target == "_parent"
    assert row.browser_secret_hash == fingerprint(started.browser_secret)
    assert "lti_storage_target=_parent" in started.url
    assert started.platform_origin == platform.issuer


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_a_login_without_a_required_parameter_is_refused(db, platform, missing):
    assert refused(db, platform, **{missing: None}) == (400, "missing_login_parameter")


def test_a_login_naming_someone_the_tool_does_not_know_is_refused(db, platform):
    assert refused(db, platform, iss="https://evil.invalid") == (403, "unknown_issuer")
    assert refused(db, platform, client_id="who-is-this") == (403, "unknown_client")
    assert refused(db, platform, lti_deployment_id="99") == (403, "unknown_deployment")
    assert refused(db, platform, client_id=None, lti_deployment_id="99") == (
        403,
        "unknown_deployment",
    )
    assert db.scalar(select(LoginNonce)) is None


def test_a_login_for_a_disabled_registration_is_refused(db, platform):
    db.execute(update(PlatformRegistration).values(enabled=False))
    db.commit()

    assert refused(db, platform) == (403, "registration_disabled")
    assert refused(db, platform, client_id=None, lti_deployment_id=None) == (
        403,
        "registration_disabled",
    )


def test_over_long_login_parameters_are_refused(db, platform):
    assert refused(db, platform, login_hint="x" * (MAX_PARAMETER_LENGTH + 1)) == (
        413,
        "claim_too_large",
    )
    assert refused(db, platform, lti_storage_target="t" * 256) == (413, "claim_too_large")
    login(db, platform, login_hint="x" * MAX_PARAMETER_LENGTH)


def test_a_login_without_client_or_deployment_finds_the_only_registration(db, platform):
    started = login(db, platform, client_id=None, lti_deployment_id=None)

    assert started.registration.get_client_id() == platform.client_id


def test_a_browser_without_our_cookie_may_switch_to_its_user_agent_once(db, platform):
    started = login(db, platform)

    assert switch_to_cookieless(db, started.state, "Another browser") is False
    assert switch_to_cookieless(db, started.state, FIREFOX) is True
    db.commit()
    assert stored(db, started.state).binding == Binding.COOKIELESS.value
    assert switch_to_cookieless(db, started.state, FIREFOX) is False  # already switched
    assert switch_to_cookieless(db, "made-up", FIREFOX) is False


def test_an_expired_or_spent_login_cannot_switch(db, platform):
    expired, spent = login(db, platform), login(db, platform)
    db.execute(
        update(LoginNonce)
        .where(LoginNonce.state == expired.state)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.execute(
        update(LoginNonce).where(LoginNonce.state == spent.state).values(consumed_at=utcnow())
    )
    db.commit()

    assert switch_to_cookieless(db, expired.state, FIREFOX) is False
    assert switch_to_cookieless(db, spent.state, FIREFOX) is False


def binding_of(row: LoginNonce, cookie=None, proof=None, user_agent=FIREFOX):
    return check_binding(row, BrowserEvidence(cookie, proof, user_agent))


def test_the_browser_that_kept_the_state_cookie_is_the_one_that_logged_in(db, platform):
    row = stored(db, login(db, platform).state)

    assert binding_of(row, cookie=row.state) is Binding.COOKIE
    for cookie in (None, "another-state"):
        with pytest.raises(LaunchRejected) as refusal:
            binding_of(row, cookie=cookie)
        assert refusal.value.reason == "state_mismatch"


def test_a_login_kept_in_the_platforms_storage_is_proven_by_its_secret(db, platform):
    started = login(db, platform, lti_storage_target="_parent")
    row = stored(db, started.state)

    with pytest.raises(NeedsPlatformStorage) as needs:
        binding_of(row)
    assert (needs.value.state, needs.value.storage_target) == (started.state, "_parent")
    assert binding_of(row, proof=started.browser_secret) is Binding.PLATFORM_STORAGE
    assert binding_of(row, cookie=row.state, proof="wrong") is Binding.COOKIE
    with pytest.raises(LaunchRejected, match="state_mismatch"):
        binding_of(row, proof="wrong")


def test_a_cookieless_login_is_finished_only_by_the_same_user_agent(db, platform):
    started = login(db, platform)
    switch_to_cookieless(db, started.state, FIREFOX)
    db.commit()
    row = stored(db, started.state)

    assert binding_of(row) is Binding.COOKIELESS
    with pytest.raises(LaunchRejected, match="state_mismatch"):
        binding_of(row, user_agent="Chrome")
