"""LTI Dynamic Registration 1.0, the tool's side, without Flask.

A platform administrator pastes the tool's registration URL into the platform
(Moodle: Manage tools → "Add LTI Advantage").  The platform opens it with two
query parameters: `openid_configuration`, the URL of its configuration, and
`registration_token`, a short-lived bearer token for the registration endpoint.
The tool reads the configuration, posts its own configuration to the platform's
`registration_endpoint` and stores what comes back (client id and deployment id)
as a platform registration of one organisation.

Registration is never open to strangers: the person holds either a one-time
invitation (only its hash is stored) or the instance's admin secret; the web
layer decides which.  A registration token is accepted once: its hash is stored
in the same transaction as the registration it created.

Every refusal is a `RegistrationRefused` with a stable reason code, like launch
refusals, so the person gets a page in their language and support gets a code.

This module holds the protocol (the platform's configuration, the tool's, the exchange)
and the signed form; invitations are in `lti.registration_invitations`, storing a
completed registration in `lti.registration_store`, the rule for a platform's rows in
`lti.platforms`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from lti.browser_binding import fingerprint
from lti.errors import Refusal

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
CLIENT_NAME = "Kompetenslyft"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
# Endpoints the tool needs from the platform's configuration.
REQUIRED_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
)
# Moodle's registration token lives an hour; a registration form need not outlive it.
FORM_SECONDS = 3600
FORM_SALT = "kompetenslyft-dynamic-registration-form"
CARRIED = ("openid_configuration", "registration_token", "invitation")
MAX_DOCUMENT_BYTES = 256 * 1024
MAX_STORED_LENGTH = 255

REASONS: dict[str, HTTPStatus] = {
    # The registration URL itself.
    "missing_configuration_url": HTTPStatus.BAD_REQUEST,
    "invalid_configuration_url": HTTPStatus.BAD_REQUEST,
    # Who may register.
    "invitation_required": HTTPStatus.FORBIDDEN,
    "invitation_unknown": HTTPStatus.FORBIDDEN,
    "invitation_expired": HTTPStatus.FORBIDDEN,
    "invitation_used": HTTPStatus.FORBIDDEN,
    "not_authorised": HTTPStatus.FORBIDDEN,
    # The signed form token (the registration pages keep no cookie: see form_token).
    "form_expired": HTTPStatus.BAD_REQUEST,
    "form_invalid": HTTPStatus.FORBIDDEN,
    "registration_token_used": HTTPStatus.CONFLICT,
    # The platform's configuration.
    "configuration_unreachable": HTTPStatus.BAD_REQUEST,
    "configuration_invalid": HTTPStatus.BAD_REQUEST,
    "issuer_mismatch": HTTPStatus.BAD_REQUEST,
    # The registration request and its answer.
    "platform_unreachable": HTTPStatus.BAD_REQUEST,
    "platform_refused": HTTPStatus.BAD_REQUEST,
    "registration_response_invalid": HTTPStatus.BAD_REQUEST,
    "already_registered": HTTPStatus.CONFLICT,
}

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]+$")


class RegistrationRefused(Refusal):
    """A registration the tool does not go through with, for a reason the person is told."""

    reasons = REASONS


def token_hash(token: str) -> str:
    """What is stored of an invitation or registration token: never the token itself."""
    return fingerprint(token)


def origin(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, or None when it is not a plain one.

    Strict on purpose: the result may be written into a Content-Security-Policy.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or parts.username is not None:
        return None
    if not _HOST.match(host) and not re.fullmatch(r"[0-9A-Fa-f:.]+", host):
        return None
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def is_web_url(url: object, *, require_https: bool) -> bool:
    if not isinstance(url, str) or len(url) > 2048 or origin(url) is None:
        return False
    return not require_https or url.startswith("https://")


@dataclass(frozen=True)
class PlatformConfiguration:
    """The parts of a platform's OpenID configuration the tool uses."""

    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str | None = None
    product_family_code: str = ""
    version: str = ""
    scopes_supported: tuple[str, ...] = ()
    document: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def display_name(self) -> str:
        """e.g. "Moodle 4.5.6 (Build: 20250811)", for people; the issuer when it says nothing."""
        family = self.product_family_code
        family = family.capitalize() if family.islower() else family
        return (" ".join(part for part in (family, self.version) if part) or self.issuer)[
            :MAX_STORED_LENGTH
        ]


def check_configuration_url(url: str | None, *, require_https: bool) -> str:
    """The `openid_configuration` parameter, or a refusal; returns the URL's origin."""
    if not url:
        raise RegistrationRefused("missing_configuration_url")
    if not is_web_url(url, require_https=require_https) or urlsplit(url).fragment:
        raise RegistrationRefused("invalid_configuration_url", url[:200])
    return origin(url)  # type: ignore[return-value]


def fetch_configuration(
    http: requests.Session,
    url: str,
    registration_token: str | None,
    *,
    require_https: bool,
) -> PlatformConfiguration:
    """Read and check the platform's configuration (the spec lets the token be sent along)."""
    expected_origin = check_configuration_url(url, require_https=require_https)
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        status, content = _exchange(http, "GET", url, headers=headers)
    except requests.RequestException as error:
        raise RegistrationRefused("configuration_unreachable", str(error)[:300]) from error
    if status != 200:
        raise RegistrationRefused("configuration_unreachable", f"HTTP {status}")
    document = _json_object(content, "configuration_invalid")
    for name in ("issuer", *REQUIRED_ENDPOINTS):
        if not is_web_url(document.get(name), require_https=require_https):
            raise RegistrationRefused("configuration_invalid", f"{name} missing or not a URL")
    issuer = document["issuer"]
    parts = urlsplit(issuer)
    if parts.query or parts.fragment or len(issuer) > MAX_STORED_LENGTH:
        raise RegistrationRefused("configuration_invalid", "issuer is not a plain URL")
    if origin(issuer) != expected_origin:
        raise RegistrationRefused("issuer_mismatch", f"{issuer} is not at {expected_origin}")
    for name, needed in (
        ("id_token_signing_alg_values_supported", "RS256"),
        ("token_endpoint_auth_methods_supported", "private_key_jwt"),
    ):
        offered = document.get(name)
        if offered is not None and (not isinstance(offered, list) or needed not in offered):
            raise RegistrationRefused("configuration_invalid", f"{name} lacks {needed}")
    platform = document.get(PLATFORM_CONFIGURATION)
    if platform is not None and not isinstance(platform, dict):
        raise RegistrationRefused(
            "configuration_invalid", f"{PLATFORM_CONFIGURATION} not an object"
        )
    platform = platform or {}
    scopes = document.get("scopes_supported")
    server = document.get("authorization_server")
    return PlatformConfiguration(
        url=url,
        issuer=issuer,
        authorization_endpoint=document["authorization_endpoint"],
        token_endpoint=document["token_endpoint"],
        jwks_uri=document["jwks_uri"],
        registration_endpoint=document["registration_endpoint"],
        authorization_server=server if isinstance(server, str) and server else None,
        product_family_code=_short_text(platform.get("product_family_code")),
        version=_short_text(platform.get("version")),
        scopes_supported=tuple(s for s in scopes if isinstance(s, str))
        if isinstance(scopes, list)
        else (),
        document=document,
    )


def tool_configuration(public_url: str, *, description: str, logo_uri: str | None = None) -> dict:
    """The client registration the tool sends: one login URL, one redirect URI, its JWKS."""
    base = public_url.rstrip("/")
    launch = base + "/lti/launch"
    body: dict = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + "/lti/login",
        "redirect_uris": [launch],
        "client_name": CLIENT_NAME,
        "jwks_uri": base + "/.well-known/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(base).netloc,
            "description": description,
            "target_link_uri": launch,
            "claims": list(CLAIMS),
            "messages": [
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch, "label": CLIENT_NAME},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": CLIENT_NAME},
            ],
        },
    }
    if logo_uri:
        body["logo_uri"] = logo_uri
    return body


@dataclass(frozen=True)
class RegistrationResult:
    client_id: str
    deployment_id: str
    document: dict = field(compare=False, repr=False)


def send_registration(
    http: requests.Session,
    configuration: PlatformConfiguration,
    registration_token: str | None,
    body: dict,
) -> RegistrationResult:
    """POST the tool's configuration to the platform; its answer names the client and deployment."""
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        status, content = _exchange(
            http,
            "POST",
            configuration.registration_endpoint,
            headers=headers,
            data=json.dumps(body).encode("utf-8"),
        )
    except requests.RequestException as error:
        raise RegistrationRefused("platform_unreachable", str(error)[:300]) from error
    if status not in (200, 201):
        said = content[:300].decode("utf-8", errors="replace").strip()
        raise RegistrationRefused("platform_refused", f"HTTP {status}: {said}")
    # Moodle may label its JSON text/html: read it by content, not by header.
    document = _json_object(content, "registration_response_invalid")
    client_id = document.get("client_id")
    tool = document.get(TOOL_CONFIGURATION)
    deployment_id = tool.get("deployment_id") if isinstance(tool, dict) else None
    if isinstance(deployment_id, int) and not isinstance(deployment_id, bool):
        deployment_id = str(deployment_id)
    for name, value in (("client_id", client_id), ("deployment_id", deployment_id)):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_STORED_LENGTH:
            raise RegistrationRefused("registration_response_invalid", f"{name} missing")
    return RegistrationResult(client_id=client_id, deployment_id=deployment_id, document=document)


def _exchange(http: requests.Session, method: str, url: str, **kwargs) -> tuple[int, bytes]:
    """One request without redirects, reading at most MAX_DOCUMENT_BYTES (+1 to notice more)."""
    with http.request(method, url, allow_redirects=False, stream=True, **kwargs) as response:
        content = response.raw.read(MAX_DOCUMENT_BYTES + 1, decode_content=True)
        return response.status_code, content


def _json_object(content: bytes, reason: str) -> dict:
    if len(content) > MAX_DOCUMENT_BYTES:
        raise RegistrationRefused(reason, "document too large")
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RegistrationRefused(reason, "not JSON") from error
    if not isinstance(document, dict):
        raise RegistrationRefused(reason, "not a JSON object")
    return document


def _short_text(value: object) -> str:
    return value.strip()[:100] if isinstance(value, str) else ""


# --- the registration form, without a cookie -------------------------------------------------


def form_token(secret_key: str, carried: Mapping[str, str], *, authorised: bool) -> str:
    """The signed token every registration form carries instead of a session and CSRF cookie.

    Moodle shows the registration page in an iframe of its admin page; with the tool on
    another site, a browser that blocks third-party cookies keeps none of the tool's, so
    nothing of the registration may live in a cookie.  The token is signed with the
    instance's secret key, dated, and bound to this registration's parameters (platform
    configuration URL, registration token, invitation): a form cannot be posted for another
    registration, nor forged by another site (it never saw the page), which is what the
    session's CSRF token gave.  The registration token and the invitation it is bound to are
    spent when the registration is stored, so a posted form works once.  `authorised` says
    the admin secret was typed for this registration (step 1 of 2 without an invitation).
    """
    serializer = URLSafeTimedSerializer(secret_key, salt=FORM_SALT)
    return serializer.dumps({"for": _form_binding(secret_key, carried), "authorised": authorised})


def check_form_token(
    secret_key: str, token: str, carried: Mapping[str, str], *, max_age: int = FORM_SECONDS
) -> bool:
    """Whether the posted form's token is this registration's; returns its `authorised` mark."""
    serializer = URLSafeTimedSerializer(secret_key, salt=FORM_SALT)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise RegistrationRefused("form_expired") from error
    except BadSignature as error:
        raise RegistrationRefused("form_invalid", "no valid form token") from error
    if not isinstance(data, dict) or not hmac.compare_digest(
        str(data.get("for", "")), _form_binding(secret_key, carried)
    ):
        raise RegistrationRefused("form_invalid", "the form belongs to another registration")
    return data.get("authorised") is True


def _form_binding(secret_key: str, carried: Mapping[str, str]) -> str:
    text = "\n".join(carried.get(name, "") for name in CARRIED)
    return hmac.new(secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()
