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
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import requests
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti.browser_binding import fingerprint
from lti.errors import Refusal
from storage import (
    Deployment,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
    UsedRegistrationToken,
    utcnow,
)

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
DEFAULT_INVITATION_DAYS = 7

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
# Moodle's registration token for "Update" on an existing tool (registration_helper, 4.x):
# scope `reg-update`, `sub` the tool type's id, which Moodle also sends as the deployment id.
UPDATE_SCOPE = "reg-update"

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


# --- invitations ---------------------------------------------------------------------------


def create_invitation(
    session: Session, organisation: Organisation, days: int = DEFAULT_INVITATION_DAYS
) -> tuple[str, RegistrationInvitation]:
    """A new one-time invitation; returns the token (shown once, never stored) and its row."""
    if days < 1:
        raise ValueError("an invitation must be valid for at least one day")
    if organisation.id is None:
        session.add(organisation)
        session.flush()
    token = secrets.token_urlsafe(32)
    invitation = RegistrationInvitation(
        token_hash=token_hash(token),
        organisation_id=organisation.id,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(invitation)
    session.flush()
    return token, invitation


def invitation_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/lti/register?invitation={token}"


def valid_invitation(
    session: Session, token: str, *, updating: PlatformRegistration | None = None
) -> RegistrationInvitation:
    """The invitation for a token, if it can still be used; otherwise a refusal saying why.

    When the platform updates a registration of the invitation's own organisation (Moodle's
    "Update", after the admin pasted the same link again), a used or expired invitation still
    counts: the platform itself vouches for the update, and nothing new is connected.
    """
    invitation = session.scalar(
        select(RegistrationInvitation).where(RegistrationInvitation.token_hash == token_hash(token))
    )
    if invitation is None:
        raise RegistrationRefused("invitation_unknown")
    if updating is not None:
        if invitation.organisation_id != updating.organisation_id:
            raise RegistrationRefused(
                "already_registered", f"{updating.issuer} {updating.client_id} is another's"
            )
        return invitation
    if invitation.used_at is not None:
        raise RegistrationRefused("invitation_used")
    if invitation.expires_at <= utcnow():
        raise RegistrationRefused("invitation_expired")
    return invitation


def is_update_token(registration_token: str | None) -> bool:
    """Whether the platform's registration token asks to update a tool (Moodle's "Update")."""
    return bool(registration_token) and (
        _unverified_claims(registration_token).get("scope") == UPDATE_SCOPE
    )


def check_token_unused(session: Session, registration_token: str | None) -> None:
    if registration_token and session.scalar(
        select(exists().where(UsedRegistrationToken.token_hash == token_hash(registration_token)))
    ):
        raise RegistrationRefused("registration_token_used")


# --- updating an existing registration --------------------------------------------------------


def update_target(
    session: Session, issuer: str, registration_token: str | None
) -> PlatformRegistration | None:
    """The stored registration a platform's "update" registration token is for, if any.

    Moodle's "Update" on a dynamically registered tool sends the same configuration URL with a
    registration token whose scope is `reg-update` and whose `sub` is the tool type's id, which
    is the deployment id it gave the tool.  The token is read, not verified: it only says what
    the pages should expect; what is stored follows the platform's answer (store_registration
    matches the client id it returns), and only a platform that accepts the token answers.
    """
    claims = _unverified_claims(registration_token) if registration_token else {}
    sub = claims.get("sub")
    if claims.get("scope") != UPDATE_SCOPE or not isinstance(sub, str | int) or sub == "":
        return None
    return session.scalar(
        select(PlatformRegistration)
        .join(Deployment, Deployment.registration_id == PlatformRegistration.id)
        .where(PlatformRegistration.issuer == issuer, Deployment.deployment_id == str(sub))
        .limit(1)
    )


def _unverified_claims(token: str) -> dict:
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        body = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@dataclass(frozen=True)
class StoredResult:
    registration: PlatformRegistration
    # An existing registration (same issuer and client id) took the platform's new values.
    updated: bool = False
    changed: tuple[str, ...] = ()


# --- storing a completed registration --------------------------------------------------------


def store_registration(
    session: Session,
    *,
    organisation: Organisation,
    configuration: PlatformConfiguration,
    result: RegistrationResult,
    registration_token: str | None,
    invitation: RegistrationInvitation | None = None,
) -> StoredResult:
    """Save the registration, spend the token and the invitation, all in the caller's transaction.

    Spending is what makes a replay fail even when two arrive at once: the token's hash is a
    primary key and the invitation is taken by one conditional UPDATE.  On refusal the session
    is rolled back.

    A platform that answers with a client id already registered for its issuer has updated
    that tool (Moodle's "Update" keeps client and deployment ids): the registration of the
    same organisation takes the new values and any new deployment.  One of another
    organisation is never touched.
    """
    now = utcnow()
    try:
        if registration_token:
            session.add(
                UsedRegistrationToken(token_hash=token_hash(registration_token), used_at=now)
            )
            session.flush()
        if invitation is not None:
            taken = session.execute(
                update(RegistrationInvitation)
                .where(
                    RegistrationInvitation.id == invitation.id,
                    RegistrationInvitation.used_at.is_(None),
                    RegistrationInvitation.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:
                raise RegistrationRefused("invitation_used")
        audience = configuration.authorization_server
        existing = session.scalar(
            select(PlatformRegistration).where(
                PlatformRegistration.issuer == configuration.issuer,
                PlatformRegistration.client_id == result.client_id,
            )
        )
        if existing is not None:
            if existing.organisation_id != organisation.id:
                raise RegistrationRefused(
                    "already_registered",
                    f"{configuration.issuer} {result.client_id} is another organisation's",
                )
            changed = _update(existing, configuration, result)
            session.flush()
            return StoredResult(existing, updated=True, changed=changed)
        registration = PlatformRegistration(
            organisation=organisation,
            name=configuration.display_name,
            issuer=configuration.issuer,
            client_id=result.client_id,
            auth_login_url=configuration.authorization_endpoint,
            auth_token_url=configuration.token_endpoint,
            key_set_url=configuration.jwks_uri,
            auth_audience=audience if audience != configuration.token_endpoint else None,
            enabled=True,
            deployments=[Deployment(deployment_id=result.deployment_id)],
        )
        session.add(registration)
        session.flush()
    except IntegrityError as error:
        session.rollback()
        if registration_token and session.get(
            UsedRegistrationToken, token_hash(registration_token)
        ):
            raise RegistrationRefused("registration_token_used") from error
        raise RegistrationRefused(
            "already_registered", f"{configuration.issuer} {result.client_id}"
        ) from error
    except RegistrationRefused:
        session.rollback()
        raise
    return StoredResult(registration)


def _update(
    registration: PlatformRegistration,
    configuration: PlatformConfiguration,
    result: RegistrationResult,
) -> tuple[str, ...]:
    """The platform's new values on an existing registration; returns what changed.

    `enabled` stays as the tool's owner left it: re-registering does not switch a connection
    back on that someone switched off.
    """
    audience = configuration.authorization_server
    values = {
        "name": configuration.display_name,
        "auth_login_url": configuration.authorization_endpoint,
        "auth_token_url": configuration.token_endpoint,
        "key_set_url": configuration.jwks_uri,
        "auth_audience": audience if audience != configuration.token_endpoint else None,
    }
    changed = [name for name, value in values.items() if getattr(registration, name) != value]
    for name in changed:
        setattr(registration, name, values[name])
    if result.deployment_id not in {d.deployment_id for d in registration.deployments}:
        registration.deployments.append(Deployment(deployment_id=result.deployment_id))
        changed.append("deployment")
    return tuple(changed)


def new_organisation(session: Session, name: str) -> Organisation:
    """An organisation with a slug made from its name ("Umeå kommun" → "umea-kommun")."""
    base = slugify(name) or "organisation"
    slug = base
    number = 1
    while session.scalar(select(exists().where(Organisation.slug == slug))):
        number += 1
        slug = f"{base[:60]}-{number}"
    organisation = Organisation(slug=slug, name=name.strip()[:MAX_STORED_LENGTH])
    session.add(organisation)
    session.flush()
    return organisation


def slugify(name: str) -> str:
    text = name.strip().lower()
    for swedish, plain in (("å", "a"), ("ä", "a"), ("ö", "o"), ("é", "e"), ("ü", "u")):
        text = text.replace(swedish, plain)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64]
