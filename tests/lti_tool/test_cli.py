"""An operator runs `kompetenslyft`: migrate, register platforms, rotate keys."""

import jwt
from jwcrypto.jwk import JWK
from sqlalchemy import select

from lti.tool_keys import sign_jwt
from storage import Deployment, PlatformRegistration


def jwks_kids(browser, tool_url) -> list[str]:
    return [key["kid"] for key in browser.get(tool_url + "/.well-known/jwks.json").json()["keys"]]


def test_keys_rotate_twice_keeps_launches_working_and_jwks_overlapping(
    kompetenslyft, browser, tool_url, platform, database
):
    with database.transaction() as session:
        token_before = sign_jwt(session, {"iss": "tool", "aud": "platform"})
    published = [set(jwks_kids(browser, tool_url))]

    for _ in range(2):
        result = kompetenslyft("keys", "rotate")
        assert result.exit_code == 0, result.output
        now_signing = result.output.split()[-1]
        # A key signs only after a whole rotation in JWKS, so platforms' caches know it.
        assert now_signing in published[-1]
        published.append(set(jwks_kids(browser, tool_url)))

    # Every key that signed during the last two rotations is still published (grace period).
    assert published[0] | published[1] <= published[2]
    assert len(published[2]) == len(published[0]) + 2
    key = next(
        k
        for k in browser.get(tool_url + "/lti/jwks").json()["keys"]
        if k["kid"] == jwt.get_unverified_header(token_before)["kid"]
    )
    assert jwt.decode(
        token_before, JWK(**key).export_to_pem(), algorithms=["RS256"], audience="platform"
    )
    assert platform.launch(browser).status_code == 200


def test_every_published_key_names_its_kid_and_alg(browser, tool_url):
    """Moodle cannot use a key without kid and alg, nor a double-wrapped set."""
    keys = browser.get(tool_url + "/.well-known/jwks.json").json()["keys"]

    assert keys
    assert all(key["kid"] and key["alg"] == "RS256" and key["kty"] == "RSA" for key in keys)
    assert not any("d" in key for key in keys)  # never a private part


def test_platform_add_list_remove(kompetenslyft, db):
    added = kompetenslyft(
        "platform",
        "add",
        "--organisation",
        "umea",
        "--organisation-name",
        "Umeå kommun",
        "--issuer",
        "https://moodle.umea.example",
        "--client-id",
        "abc123",
        "--auth-login-url",
        "https://moodle.umea.example/mod/lti/auth.php",
        "--auth-token-url",
        "https://moodle.umea.example/mod/lti/token.php",
        "--jwks-url",
        "https://moodle.umea.example/mod/lti/certs.php",
        "--deployment",
        "1",
        "--deployment",
        "2",
    )
    assert added.exit_code == 0, added.output
    registration = db.scalar(select(PlatformRegistration))
    assert registration.organisation.name == "Umeå kommun"
    assert sorted(d.deployment_id for d in registration.deployments) == ["1", "2"]

    listed = kompetenslyft("platform", "list")
    assert "https://moodle.umea.example\tabc123\tdeployments=1,2" in listed.output

    removed = kompetenslyft("platform", "remove", str(registration.id))
    assert removed.exit_code == 0
    db.expire_all()
    assert db.scalar(select(PlatformRegistration)) is None
    assert db.scalar(select(Deployment)) is None


def test_platform_add_refuses_a_non_url(kompetenslyft):
    result = kompetenslyft(
        "platform",
        "add",
        "--organisation",
        "x",
        "--issuer",
        "moodle",
        "--client-id",
        "a",
        "--auth-login-url",
        "a",
        "--auth-token-url",
        "b",
        "--jwks-url",
        "c",
        "--deployment",
        "1",
    )
    assert result.exit_code == 2
    assert "is not an http(s) URL" in result.output
