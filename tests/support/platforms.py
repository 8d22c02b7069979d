"""A scriptable LTI platform for tests: its own keys, JWKS on loopback, any claims it likes.

Unlike the built-in dev platform it can sign anything (expired, wrong audience,
another key, alg none), which is what the negative tests need.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from lti import claims as c
from storage import Deployment, Organisation, PlatformRegistration

# Keys are reused round-robin from a small pool: generating a 2048-bit RSA key and parsing
# its PEM took about a tenth of a launch test's time. Consecutive keys differ, so a test's
# platforms (and its "key the platform does not publish") never share one.
KEY_POOL_SIZE = 8


class _PooledKey(NamedTuple):
    pem: bytes  # private, PKCS#8
    private_key: rsa.RSAPrivateKey
    public_jwk: dict  # without kid and alg
    public_pem: bytes


_key_pool: list[_PooledKey] = []
_key_turn = itertools.count()


def _pooled_key() -> _PooledKey:
    index = next(_key_turn) % KEY_POOL_SIZE
    while len(_key_pool) <= index:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        jwk = JWK.from_pem(pem)
        _key_pool.append(
            _PooledKey(pem, private, json.loads(jwk.export_public()), jwk.export_to_pem())
        )
    return _key_pool[index]


class SigningKey:
    """An RSA key a test platform signs with, published under `kid`."""

    def __init__(self, kid: str) -> None:
        self.pem, self.private_key, public, self.public_pem = _pooled_key()
        self.kid = kid
        self.public_jwk = {**public, "kid": kid, "alg": "RS256"}

    def sign(self, claims: dict, headers: dict | None = None) -> str:
        return jwt.encode(
            claims,
            self.private_key,
            algorithm="RS256",
            headers={"kid": self.kid, **(headers or {})},
        )


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestPlatform:
    __test__ = False  # not a pytest test class

    def __init__(
        self,
        tool_url: str,
        jwks_server,
        *,
        issuer: str = "https://moodle.test.invalid",
        client_id: str = "test-client",
        deployment_id: str = "1",
        name: str = "test",
    ) -> None:
        self.tool_url = tool_url
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.key = SigningKey(f"{name}-key-1")
        self.published = [self.key]
        self.jwks_path = f"/{name}/jwks"
        self.jwks_url = jwks_server.url + self.jwks_path
        self.jwks_server = jwks_server
        jwks_server.documents[self.jwks_path] = lambda: {
            "keys": [key.public_jwk for key in self.published]
        }

    @property
    def jwks_hits(self) -> int:
        return self.jwks_server.hits(self.jwks_path)

    def register(self, session, organisation_slug: str = "test-org") -> PlatformRegistration:
        organisation = session.query(Organisation).filter_by(slug=organisation_slug).first()
        if organisation is None:
            organisation = Organisation(slug=organisation_slug, name="Testkommunen")
        registration = PlatformRegistration(
            organisation=organisation,
            issuer=self.issuer,
            client_id=self.client_id,
            auth_login_url=self.issuer + "/mod/lti/auth.php",
            auth_token_url=self.issuer + "/mod/lti/token.php",
            key_set_url=self.jwks_url,
            deployments=[Deployment(deployment_id=self.deployment_id)],
        )
        session.add(registration)
        session.commit()
        return registration

    def start_login(self, browser: requests.Session, method: str = "POST", **overrides):
        """Third-party initiated login as a platform sends it; None drops a parameter."""
        params = {
            "iss": self.issuer,
            "login_hint": "3",
            "target_link_uri": self.tool_url + "/lti/launch",
            "lti_message_hint": '{"cmid":2}',
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        field = "data" if method == "POST" else "params"
        return browser.request(
            method,
            self.tool_url + "/lti/login",
            headers={"Accept": "application/json"},
            allow_redirects=False,
            **{field: params},
        )

    def login(self, browser: requests.Session, **overrides) -> dict:
        """A successful login; returns the tool's authentication request parameters."""
        response = self.start_login(browser, **overrides)
        assert response.status_code == 302, response.text
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return {name: values[0] for name, values in query.items()}

    def claims(self, nonce: str, /, **overrides) -> dict:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "3",
            "iat": now,
            "exp": now + 60,
            "nonce": nonce,
            "name": "Lea Learner",
            "given_name": "Lea",
            "family_name": "Learner",
            "email": "learner1@example.invalid",
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.VERSION: "1.3.0",
            c.DEPLOYMENT_ID: self.deployment_id,
            c.TARGET_LINK_URI: self.tool_url + "/lti/launch",
            c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            c.CONTEXT: {"id": "2", "label": "DIGI101", "title": "Digital Competence 101"},
            c.RESOURCE_LINK: {"id": "1", "title": "Self-assessment"},
            c.LAUNCH_PRESENTATION: {"locale": "en"},
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    def sign(self, body: dict, key: SigningKey | None = None, headers: dict | None = None) -> str:
        return (key or self.key).sign(body, headers)

    def post_launch(self, browser: requests.Session, id_token: str, state: str, **kwargs):
        return browser.post(
            self.tool_url + "/lti/launch",
            data={"id_token": id_token, "state": state},
            headers={"Accept": "application/json"},
            **kwargs,
        )

    def launch(self, browser: requests.Session, key: SigningKey | None = None, **claim_overrides):
        """A whole launch: login, sign claims with the login's nonce, post the token."""
        auth = self.login(browser)
        token = self.sign(self.claims(auth["nonce"], **claim_overrides), key=key)
        return self.post_launch(browser, token, auth["state"])
