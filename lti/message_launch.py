"""Validation of an LTI 1.3 launch (the id_token form post), closing pylti1p3's gaps.

pylti1p3 2.0.0 checks that a nonce exists but never spends it, trusts a state
found in a shared cache from any browser, raises bare exceptions for unknown
clients and cannot refetch a rotated platform key.  `ToolMessageLaunch` keeps
pylti1p3's launch object (so its AGS, NRPS and deep-linking helpers work) but
replaces `validate()` with checks that are strict, ordered and each tied to a
reason code.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from urllib.parse import urlsplit

import jwt
from jwcrypto.jwk import JWK
from pylti1p3.message_launch import MessageLaunch
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti import claims as c
from lti.browser_binding import Binding, BrowserEvidence, check_binding
from lti.errors import LaunchRejected
from lti.platform_keys import PlatformKeyCache
from lti.tool_config import DatabaseToolConf, StoredRegistration
from storage import Deployment, LoginNonce, PlatformRegistration, utcnow

ALGORITHMS = ("RS256",)


class ToolMessageLaunch(MessageLaunch):
    def __init__(
        self,
        request,
        session: Session,
        key_cache: PlatformKeyCache,
        *,
        evidence: BrowserEvidence,
        leeway: timedelta,
        max_token_bytes: int,
        tool_url: str,
        cookie_service,
        session_service,
    ) -> None:
        self._db = session
        self._tool_conf = DatabaseToolConf(session)
        super().__init__(
            request,
            self._tool_conf,
            session_service=session_service,
            cookie_service=cookie_service,
        )
        self._key_cache = key_cache
        self._evidence = evidence
        self._leeway = leeway
        self._max_token_bytes = max_token_bytes
        self._tool_origin = web_origin(tool_url)
        self.deployment_row: Deployment | None = None
        self.registration: StoredRegistration | None = None
        # The registration the login was started for, known even when validation fails later.
        self.login_registration_id: int | None = None
        self.binding: Binding | None = None
        self._login_registration: PlatformRegistration | None = None

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate(self) -> ToolMessageLaunch:
        """The launch, checked; a launch refused or sent to prove its browser first leaves
        its transaction rolled back (nothing it read or consumed half-way is kept), so the
        caller may record the refusal and commit."""
        try:
            return self._validate()
        except BaseException:
            self._db.rollback()
            raise

    def _validate(self) -> ToolMessageLaunch:
        token = self._token()
        header, body = decode_unverified(token)
        self._jwt = {"header": header, "body": body}
        login = self._login_for_state()
        registration = self._registration_for(login, body)
        self._verify_signature(token, header, registration)
        self._check_nonce(login, body)
        self._check_deployment(registration, body)
        self._check_message(body)
        self._check_sizes(body)
        self._check_target(login, body)
        self._consume(login)
        self._registration = self.registration = registration
        self._validated = True
        return self

    def _token(self) -> str:
        token = self._get_request_param("id_token")
        if not token:
            raise LaunchRejected("missing_id_token")
        if len(token) > self._max_token_bytes:
            raise LaunchRejected("token_too_large", f"{len(token)} bytes")
        return token

    def _login_for_state(self) -> LoginNonce:
        state = self._get_request_param("state")
        if not state:
            raise LaunchRejected("missing_state")
        found = self._db.execute(
            # The login's registration comes with it (the next check needs it), read fresh.
            select(LoginNonce, PlatformRegistration)
            .outerjoin(PlatformRegistration, PlatformRegistration.id == LoginNonce.registration_id)
            .where(LoginNonce.state == state)
            .execution_options(populate_existing=True)  # read the rows fresh, not from cache
        ).first()
        login, self._login_registration = found if found else (None, None)
        if login is None:
            raise LaunchRejected("unknown_state")
        if login.consumed_at is not None:
            raise LaunchRejected("nonce_replayed", "this login was already used")
        self.login_registration_id = login.registration_id
        if login.expires_at <= utcnow():
            raise LaunchRejected("login_expired")
        self.binding = check_binding(login, self._evidence)
        return login

    def _registration_for(self, login: LoginNonce, body: dict) -> StoredRegistration:
        issuer = body.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise LaunchRejected("missing_claim", "iss")
        expected = self._login_registration  # read with the login, in _login_for_state
        if expected is None:
            raise LaunchRejected("unknown_state", "the registration was removed")
        if issuer != expected.issuer:
            if not self._tool_conf.issuer_known(issuer):
                raise LaunchRejected("unknown_issuer", issuer)
            raise LaunchRejected("wrong_issuer", issuer)
        # (issuer, client_id) is unique, so this is the row `expected` itself: checked as
        # find_enabled_registration would, without reading it again.
        if not expected.enabled:
            raise LaunchRejected("registration_disabled", issuer)
        registration = StoredRegistration(expected)
        audience = body.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or expected.client_id not in audiences:
            raise LaunchRejected("wrong_audience", repr(audience))
        azp = body.get("azp")
        if azp is not None and azp != expected.client_id:
            raise LaunchRejected("wrong_azp", repr(azp))
        if azp is None and len(audiences) > 1:
            raise LaunchRejected("wrong_azp", "several audiences and no azp")
        return registration

    def _verify_signature(self, token: str, header: dict, registration: StoredRegistration) -> None:
        if header.get("alg") not in ALGORITHMS:
            raise LaunchRejected("unsupported_algorithm", repr(header.get("alg")))
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise LaunchRejected("missing_kid")
        jwk = self._key_cache.key(registration.get_key_set_url(), kid)
        if jwk.get("alg", ALGORITHMS[0]) not in ALGORITHMS or jwk.get("kty") != "RSA":
            raise LaunchRejected("unsupported_algorithm", f"key {kid} is not an RSA signing key")
        try:
            public_key = JWK(**jwk).export_to_pem()
        except (ValueError, TypeError) as error:
            raise LaunchRejected("unknown_kid", f"key {kid} cannot be read") from error
        try:
            jwt.decode(
                token,
                public_key,
                algorithms=list(ALGORITHMS),
                audience=registration.get_client_id(),
                issuer=registration.get_issuer(),
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise LaunchRejected("token_expired") from error
        except jwt.ImmatureSignatureError as error:
            raise LaunchRejected("token_not_yet_valid") from error
        except jwt.InvalidAudienceError as error:
            raise LaunchRejected("wrong_audience") from error
        except jwt.InvalidIssuerError as error:
            raise LaunchRejected("wrong_issuer") from error
        except jwt.MissingRequiredClaimError as error:
            raise LaunchRejected("missing_claim", error.claim) from error
        except jwt.InvalidSignatureError as error:
            raise LaunchRejected("bad_signature") from error
        except jwt.InvalidTokenError as error:
            raise LaunchRejected("malformed_token", str(error)) from error

    def _check_nonce(self, login: LoginNonce, body: dict) -> None:
        nonce = body.get("nonce")
        if not nonce:
            raise LaunchRejected("missing_nonce")
        if nonce != login.nonce:
            raise LaunchRejected("nonce_mismatch")

    def _check_deployment(self, registration: StoredRegistration, body: dict) -> None:
        deployment_id = body.get(c.DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id:
            raise LaunchRejected("missing_claim", "deployment_id")
        row = self._tool_conf.deployment_row(
            registration.get_issuer(), registration.get_client_id(), deployment_id
        )
        if row is None:
            raise LaunchRejected("unknown_deployment", deployment_id)
        self.deployment_row = row

    def _check_message(self, body: dict) -> None:
        message_type = body.get(c.MESSAGE_TYPE)
        if message_type not in c.SUPPORTED_MESSAGE_TYPES:
            raise LaunchRejected("unsupported_message_type", repr(message_type))
        if body.get(c.VERSION) != "1.3.0":
            raise LaunchRejected("wrong_lti_version", repr(body.get(c.VERSION)))
        if not isinstance(body.get("sub"), str) or not body["sub"]:
            raise LaunchRejected("missing_claim", "sub")
        roles = body.get(c.ROLES)
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise LaunchRejected("missing_claim", "roles")
        if message_type == c.RESOURCE_LINK_REQUEST and not c.claim(body, (c.RESOURCE_LINK, "id")):
            raise LaunchRejected("missing_claim", "resource_link.id")
        if message_type == c.DEEP_LINKING_REQUEST and not isinstance(
            body.get(c.DEEP_LINKING_SETTINGS), dict
        ):
            raise LaunchRejected("missing_claim", "deep_linking_settings")
        for path in ((c.CONTEXT,), (c.RESOURCE_LINK,), (c.LIS,), (c.CUSTOM,)):
            value = c.claim(body, path)
            if value is not None and not isinstance(value, dict):
                raise LaunchRejected("malformed_token", f"{path[-1]} must be an object")

    def _check_sizes(self, body: dict) -> None:
        for path, limit in c.MAX_LENGTHS.items():
            value = c.claim(body, path)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise LaunchRejected("claim_too_large", path[-1])
        if len(body[c.ROLES]) > c.MAX_ROLES:
            raise LaunchRejected("claim_too_large", "roles")
        if any(len(role) > 255 for role in body[c.ROLES]):
            raise LaunchRejected("claim_too_large", "roles")
        if len(c.claim(body, (c.CUSTOM,)) or {}) > c.MAX_CUSTOM_ENTRIES:
            raise LaunchRejected("claim_too_large", "custom")

    def _check_target(self, login: LoginNonce, body: dict) -> None:
        """The signed target must be the login's and on the tool's own site.

        A platform signs whatever target it likes; without this, a launch made for another
        tool's address (or for a login started for another target) would be accepted here.
        """
        target = body.get(c.TARGET_LINK_URI)
        if not isinstance(target, str) or not target:
            raise LaunchRejected("missing_claim", "target_link_uri")
        if web_origin(target) != self._tool_origin:
            raise LaunchRejected("wrong_target_link_uri", f"{target[:200]} is not on this tool")
        # Logins started before the target was stored have none: the site check above holds.
        if login.target_link_uri is not None and target != login.target_link_uri:
            raise LaunchRejected(
                "wrong_target_link_uri", f"{target[:200]} is not the login's target"
            )

    def _consume(self, login: LoginNonce) -> None:
        now = utcnow()
        spent = self._db.execute(
            update(LoginNonce)
            .where(
                LoginNonce.nonce == login.nonce,
                LoginNonce.consumed_at.is_(None),
                LoginNonce.expires_at > now,
            )
            .values(consumed_at=now)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            raise LaunchRejected("nonce_replayed", "another request used this login first")


def web_origin(url: str) -> str | None:
    """`scheme://host:port` of a URL, lower-cased with the default port made explicit."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{parts.hostname.lower()}:{port}"


def decode_unverified(token: str) -> tuple[dict, dict]:
    parts = token.split(".")
    if len(parts) != 3:
        raise LaunchRejected("malformed_token", "a JWT has three parts")
    try:
        header, body = (json.loads(_b64url(part)) for part in parts[:2])
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise LaunchRejected("malformed_token", "cannot decode") from error
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise LaunchRejected("malformed_token", "header and body must be objects")
    return header, body


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
