"""A launch's id_token checked by `ToolMessageLaunch.validate()` itself: each wrong token is
refused with its reason code, without the tool running (the HTTP stories in
tests/lti_tool/test_launch_rejections.py show what the browser then sees)."""

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pylti1p3.contrib.flask import FlaskCookieService, FlaskRequest, FlaskSessionService
from sqlalchemy import select, update

from lti import claims as c
from lti.browser_binding import BrowserEvidence
from lti.errors import LaunchRejected
from lti.login import start_login
from lti.message_launch import ToolMessageLaunch, decode_unverified, web_origin
from lti.platform_keys import PlatformKeyCache
from storage import LoginNonce, PlatformRegistration, utcnow
from tests.support.platforms import SigningKey, TestPlatform, b64

TOOL = "https://tool.example"
USER_AGENT = "Firefox"


# Set up before `db` and so emptied after its session closed: a failing test's open
# transaction would otherwise hold SQLite's lock while the tables are emptied.
pytestmark = pytest.mark.usefixtures("clean_database")


@pytest.fixture
def platform(clean_database, jwks_server, db) -> TestPlatform:
    test_platform = TestPlatform(TOOL, jwks_server, name=f"p{uuid.uuid4().hex[:8]}")
    test_platform.register(db)
    return test_platform


class Login:
    """A login the tool started for `platform`: its state and nonce, as the browser has them."""

    def __init__(self, db, platform: TestPlatform, **params) -> None:
        started = start_login(
            {
                "iss": platform.issuer,
                "login_hint": "3",
                "target_link_uri": TOOL + "/lti/launch",
                "client_id": platform.client_id,
                "lti_deployment_id": platform.deployment_id,
                **params,
            },
            db,
            launch_url=TOOL + "/lti/launch",
            lifetime=timedelta(minutes=10),
            user_agent=USER_AGENT,
        )
        db.commit()
        query = parse_qs(urlsplit(started.url).query)
        self.state = started.state
        self.nonce = query["nonce"][0]
        self.platform = platform

    def token(self, key: SigningKey | None = None, headers: dict | None = None, **claims) -> str:
        return self.platform.sign(self.platform.claims(self.nonce, **claims), key, headers)


def validate(db, id_token: str, state: str, *, cookie: str | None = "same", max_bytes=32_768):
    """The launch view's call, with the state cookie of the browser that logged in."""
    request = FlaskRequest(
        cookies={},
        session={},
        request_data={"id_token": id_token, "state": state},
        request_is_secure=True,
    )
    launching = ToolMessageLaunch(
        request,
        db,
        PlatformKeyCache(requests.Session()),
        evidence=BrowserEvidence(
            state_cookie=state if cookie == "same" else cookie,
            storage_proof=None,
            user_agent=USER_AGENT,
        ),
        leeway=timedelta(seconds=10),
        max_token_bytes=max_bytes,
        tool_url=TOOL,
        cookie_service=FlaskCookieService(request),
        session_service=FlaskSessionService(request),
    )
    return launching.validate()


def accepted(db, id_token: str, state: str) -> None:
    validate(db, id_token, state)
    db.rollback()


def refusal(db, id_token: str, state: str, **kwargs) -> tuple[int, str]:
    with pytest.raises(LaunchRejected) as refused:
        validate(db, id_token, state, **kwargs)
    db.rollback()
    return refused.value.status, refused.value.reason


def test_a_learners_launch_is_accepted_and_spends_its_login(db, platform):
    login = Login(db, platform)

    launch = validate(db, login.token(), login.state)
    db.commit()

    assert launch.get_launch_data()["sub"] == "3"
    assert launch.registration.get_issuer() == platform.issuer
    assert launch.deployment_row.deployment_id == platform.deployment_id
    spent = db.scalar(select(LoginNonce.consumed_at).where(LoginNonce.state == login.state))
    assert spent is not None


def test_the_same_token_posted_twice_is_a_replay(db, platform):
    login = Login(db, platform)
    token = login.token()
    validate(db, token, login.state)
    db.commit()

    assert refusal(db, token, login.state) == (403, "nonce_replayed")


def test_a_token_posted_from_another_browser_is_a_state_mismatch(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(), login.state, cookie=None) == (403, "state_mismatch")
    assert refusal(db, login.token(), login.state, cookie="another") == (403, "state_mismatch")


def test_a_launch_without_a_token_or_with_too_large_a_one_is_refused(db, platform):
    login = Login(db, platform)

    assert refusal(db, "", login.state) == (400, "missing_id_token")
    assert refusal(db, login.token(), login.state, max_bytes=100) == (413, "token_too_large")


def test_a_launch_without_a_known_state_is_refused(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(), "") == (400, "missing_state")
    assert refusal(db, login.token(), "made-up") == (400, "unknown_state")


def test_a_login_past_its_lifetime_is_expired(db, platform):
    login = Login(db, platform)
    db.execute(
        update(LoginNonce)
        .where(LoginNonce.state == login.state)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()

    assert refusal(db, login.token(), login.state) == (400, "login_expired")


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        ("abc", "a JWT has three parts"),
        ("a.b.c", "cannot decode"),
        (b64([1]) + "." + b64({}) + ".x", "header and body must be objects"),
    ],
)
def test_what_is_not_a_jwt_is_a_malformed_token(db, platform, token, detail):
    login = Login(db, platform)

    with pytest.raises(LaunchRejected) as refused:
        validate(db, token, login.state)
    db.rollback()

    assert (refused.value.reason, refused.value.detail) == ("malformed_token", detail)


def test_a_token_from_an_issuer_the_tool_does_not_know_is_refused(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(iss="https://evil.invalid"), login.state) == (
        403,
        "unknown_issuer",
    )
    assert refusal(db, login.token(iss=None), login.state) == (400, "missing_claim")


def test_a_token_from_another_known_platform_than_the_login_is_the_wrong_issuer(
    db, platform, jwks_server
):
    other = TestPlatform(TOOL, jwks_server, issuer="https://other.invalid", name="other")
    other.register(db)
    login = Login(db, platform)

    assert refusal(db, login.token(iss=other.issuer), login.state) == (403, "wrong_issuer")


def test_a_disabled_registration_launches_nobody(db, platform):
    login = Login(db, platform)
    db.execute(update(PlatformRegistration).values(enabled=False))
    db.commit()

    assert refusal(db, login.token(), login.state) == (403, "registration_disabled")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-tool"}, "wrong_audience"),
        ({"aud": ["test-client", "other"]}, "wrong_azp"),
        ({"azp": "another-tool"}, "wrong_azp"),
    ],
)
def test_a_token_meant_for_another_tool_is_refused(db, platform, claims, reason):
    login = Login(db, platform)

    assert refusal(db, login.token(**claims), login.state) == (401, reason)


def test_an_audience_list_naming_the_tool_is_accepted_and_several_need_the_tools_azp(db, platform):
    login = Login(db, platform)

    accepted(db, login.token(aud=[platform.client_id]), login.state)
    accepted(
        db, login.token(aud=[platform.client_id, "other"], azp=platform.client_id), login.state
    )


def test_a_token_signed_otherwise_than_with_a_published_rsa_key_is_refused(db, platform):
    login = Login(db, platform)
    header, body, signature = login.token().split(".")
    forged = b64(platform.claims(login.nonce, sub="1", name="Admin User"))
    none_header = b64({"alg": "none", "kid": platform.key.kid})

    assert refusal(db, f"{header}.{forged}.{signature}", login.state) == (401, "bad_signature")
    assert refusal(db, f"{none_header}.{body}.", login.state) == (401, "unsupported_algorithm")
    assert refusal(db, login.token(key=SigningKey("stranger")), login.state) == (
        401,
        "unknown_kid",
    )
    assert refusal(db, f"{b64({'alg': 'RS256'})}.{body}.{signature}", login.state) == (
        401,
        "missing_kid",
    )
    # HS256 with the platform's public key as the secret: the classic algorithm confusion.
    hs256 = f"{b64({'alg': 'HS256', 'typ': 'JWT', 'kid': platform.key.kid})}.{body}"
    mac = hmac.new(platform.key.public_pem, hs256.encode(), hashlib.sha256).digest()
    forged_mac = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert refusal(db, f"{hs256}.{forged_mac}", login.state) == (401, "unsupported_algorithm")


def test_a_token_outside_its_lifetime_is_refused_beyond_the_leeway(db, platform):
    login = Login(db, platform)
    now = int(utcnow().timestamp())

    assert refusal(db, login.token(iat=now - 200, exp=now - 60), login.state) == (
        401,
        "token_expired",
    )
    assert refusal(db, login.token(iat=now + 120, exp=now + 180), login.state) == (
        401,
        "token_not_yet_valid",
    )
    assert refusal(db, login.token(exp=None), login.state) == (400, "missing_claim")
    accepted(db, login.token(iat=now - 65, exp=now - 5), login.state)  # within 10 s
    accepted(db, login.token(iat=now + 5, exp=now + 65), login.state)  # a platform's clock ahead


def test_the_nonce_must_be_the_logins(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(nonce=None), login.state) == (400, "missing_nonce")
    assert refusal(db, login.token(nonce="someone-elses"), login.state) == (
        403,
        "nonce_mismatch",
    )


def test_the_deployment_must_be_registered(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(**{c.DEPLOYMENT_ID: "99"}), login.state) == (
        403,
        "unknown_deployment",
    )
    assert refusal(db, login.token(**{c.DEPLOYMENT_ID: None}), login.state) == (
        400,
        "missing_claim",
    )


@pytest.mark.parametrize(
    ("claims", "status", "reason", "detail"),
    [
        ({"sub": "s" * 256}, 413, "claim_too_large", "sub"),
        ({"name": "n" * 300}, 413, "claim_too_large", "name"),
        ({c.ROLES: ["r"] * 51}, 413, "claim_too_large", "roles"),
        ({c.ROLES: ["r" * 256]}, 413, "claim_too_large", "roles"),
        ({c.CUSTOM: {str(n): "v" for n in range(101)}}, 413, "claim_too_large", "custom"),
        ({c.VERSION: "1.1"}, 400, "wrong_lti_version", "'1.1'"),
        ({c.MESSAGE_TYPE: "LtiStartProctoring"}, 400, "unsupported_message_type", None),
        ({c.ROLES: None}, 400, "missing_claim", "roles"),
        ({c.ROLES: ["Learner", 7]}, 400, "missing_claim", "roles"),
        ({"sub": None}, 400, "missing_claim", "sub"),
        ({c.RESOURCE_LINK: {"title": "no id"}}, 400, "missing_claim", "resource_link.id"),
        (
            {c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST},
            400,
            "missing_claim",
            "deep_linking_settings",
        ),
        ({c.CONTEXT: "not an object"}, 400, "malformed_token", None),
        ({c.CUSTOM: ["a", "list"]}, 400, "malformed_token", None),
    ],
    ids=[
        "long-sub",
        "long-name",
        "many-roles",
        "long-role",
        "many-custom",
        "version",
        "message-type",
        "no-roles",
        "a-role-not-a-string",
        "no-sub",
        "no-resource-link-id",
        "no-deep-linking-settings",
        "context-not-object",
        "custom-not-object",
    ],
)
def test_malformed_claims_are_refused_with_their_reason(
    db, platform, claims, status, reason, detail
):
    login = Login(db, platform)

    with pytest.raises(LaunchRejected) as refused:
        validate(db, login.token(**claims), login.state)
    db.rollback()

    assert (refused.value.status, refused.value.reason) == (status, reason)
    if detail is not None:
        assert refused.value.detail == detail


def test_the_signed_target_must_be_the_logins_on_the_tools_own_site(db, platform):
    login = Login(db, platform)

    assert refusal(db, login.token(**{c.TARGET_LINK_URI: None}), login.state) == (
        400,
        "missing_claim",
    )
    for elsewhere in ("https://tool.example.evil/lti/launch", "http://tool.example/lti/launch"):
        assert refusal(db, login.token(**{c.TARGET_LINK_URI: elsewhere}), login.state) == (
            403,
            "wrong_target_link_uri",
        )
    assert refusal(db, login.token(**{c.TARGET_LINK_URI: TOOL + "/other"}), login.state) == (
        403,
        "wrong_target_link_uri",
    )
    # A login started before targets were stored: only the site is checked, as browsers see it.
    db.execute(
        update(LoginNonce).where(LoginNonce.state == login.state).values(target_link_uri=None)
    )
    db.commit()
    accepted(db, login.token(**{c.TARGET_LINK_URI: "https://TOOL.example:443/x"}), login.state)


def test_a_refused_launch_leaves_its_login_unspent_for_the_right_token(db, platform):
    login = Login(db, platform)
    refusal(db, login.token(aud="another-tool"), login.state)

    accepted(db, login.token(), login.state)


def test_web_origins_are_compared_with_the_default_port_and_lower_case():
    assert web_origin("https://Tool.Example/x") == "https://tool.example:443"
    assert web_origin("http://tool.example:8080/") == "http://tool.example:8080"
    assert web_origin("javascript:alert(1)") is None
    assert web_origin("https://tool.example:99999/") is None


def test_the_unverified_header_and_body_are_read_without_the_key(platform):
    token = platform.sign({"sub": "3"})

    header, body = decode_unverified(token)

    assert (header["alg"], header["kid"], body) == ("RS256", platform.key.kid, {"sub": "3"})
