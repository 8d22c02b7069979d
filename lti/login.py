"""Third-party initiated login (OIDC), the first hop of every LTI 1.3 launch.

The platform tells the tool who is coming; the tool answers with an
authentication request carrying a fresh state and nonce.  Both are stored as
one `LoginNonce` row so the launch can later be matched to this login and
consumed exactly once, on any worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lti.browser_binding import Binding, fingerprint
from lti.errors import LaunchRejected
from lti.tool_config import DatabaseToolConf, StoredRegistration
from storage import Deployment, LoginNonce, PlatformRegistration, utcnow

# Expired rows are kept a day so a late replay still reads "replayed", not "unknown".
EXPIRED_NONCE_RETENTION = timedelta(days=1)
NONCE_CLEANUP_INTERVAL = timedelta(minutes=1)
MAX_PARAMETER_LENGTH = 2048


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    registration: StoredRegistration
    binding: Binding
    # Only for platform storage: the value the browser puts there and reads back at launch.
    browser_secret: str | None = None
    storage_target: str | None = None

    @property
    def platform_origin(self) -> str:
        """Where postMessages to the platform go: its OIDC authorisation endpoint's origin."""
        parts = urlsplit(self.registration.get_auth_login_url())
        return f"{parts.scheme}://{parts.netloc}"


def start_login(
    params: Mapping[str, str],
    session: Session,
    *,
    launch_url: str,
    lifetime: timedelta,
    user_agent: str = "",
) -> LoginRedirect:
    """A platform's login request answered: the login (state, nonce) stored and committed,
    and where the browser goes next; LaunchRejected when the platform is not one we know."""
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchRejected("missing_login_parameter", name)
    if any(len(str(value)) > MAX_PARAMETER_LENGTH for value in params.values()):
        raise LaunchRejected("claim_too_large", "a login parameter is too long")
    deployment_id = params.get("lti_deployment_id")
    registration = _registration_and_deployment(
        session, params["iss"], params.get("client_id"), deployment_id
    )

    now = utcnow()
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    storage_target = params.get("lti_storage_target") or None
    if storage_target and len(storage_target) > 255:
        raise LaunchRejected("claim_too_large", "lti_storage_target")
    binding = Binding.PLATFORM_STORAGE if storage_target else Binding.COOKIE
    browser_secret = secrets.token_urlsafe(32) if storage_target else None
    if _cleanup_due(now):
        session.execute(
            delete(LoginNonce).where(LoginNonce.expires_at < now - EXPIRED_NONCE_RETENTION)
        )
    session.add(
        LoginNonce(
            nonce=nonce,
            state=state,
            registration_id=registration.row_id,
            created_at=now,
            expires_at=now + lifetime,
            binding=binding.value,
            storage_target=storage_target,
            browser_secret_hash=fingerprint(browser_secret) if browser_secret else None,
            user_agent_hash=fingerprint(user_agent),
            target_link_uri=params["target_link_uri"],
        )
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.get_client_id(),
        "redirect_uri": launch_url,
        "state": state,
        "nonce": nonce,
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    if storage_target:
        query["lti_storage_target"] = storage_target
    base = registration.get_auth_login_url()
    separator = "&" if "?" in base else "?"
    session.commit()  # the login's nonce and state, which the launch checks
    return LoginRedirect(
        url=base + separator + urlencode(query),
        state=state,
        registration=registration,
        binding=binding,
        browser_secret=browser_secret,
        storage_target=storage_target,
    )


_last_cleanup: datetime | None = None


def _cleanup_due(now: datetime) -> bool:
    """Expired logins are removed at most once a minute per process, not at every login: a
    DELETE per login cost a statement each, and an expired login is refused by its expiry
    anyway (the rows are kept only so a late replay reads "replayed")."""
    global _last_cleanup
    if _last_cleanup is not None and now - _last_cleanup < NONCE_CLEANUP_INTERVAL:
        return False
    _last_cleanup = now
    return True


def switch_to_cookieless(session: Session, state: str, user_agent: str) -> bool:
    """The browser showed it cannot keep our cookie: bind this login to its user agent instead.

    Only a fresh, unused, cookie-bound login can switch, from the browser that started it.
    Committed; True when it switched.
    """
    now = utcnow()
    switched = session.execute(
        update(LoginNonce)
        .where(
            LoginNonce.state == state,
            LoginNonce.binding == Binding.COOKIE.value,
            LoginNonce.consumed_at.is_(None),
            LoginNonce.expires_at > now,
            LoginNonce.user_agent_hash == fingerprint(user_agent),
        )
        .values(binding=Binding.COOKIELESS.value)
    )
    done = switched.rowcount == 1
    session.commit()
    return done


def _registration_and_deployment(
    session: Session, issuer: str, client_id: str | None, deployment_id: str | None
) -> StoredRegistration:
    """The enabled registration, and its deployment when the platform names one (else
    'unknown_deployment'). What Moodle sends (client and deployment id) is read in one query;
    the refusals are the ones find_enabled_registration and deployment_row give."""
    tool_conf = DatabaseToolConf(session)
    if client_id and deployment_id:
        found = session.execute(
            select(PlatformRegistration, Deployment.id)
            .outerjoin(
                Deployment,
                (Deployment.registration_id == PlatformRegistration.id)
                & (Deployment.deployment_id == deployment_id),
            )
            .where(
                PlatformRegistration.issuer == issuer, PlatformRegistration.client_id == client_id
            )
        ).first()
        if found is not None and found[0].enabled:
            if found[1] is None:
                raise LaunchRejected("unknown_deployment", deployment_id)
            return StoredRegistration(found[0])
    registration = find_enabled_registration(tool_conf, issuer, client_id)
    if deployment_id and not tool_conf.deployment_row(
        issuer, registration.get_client_id(), deployment_id
    ):
        raise LaunchRejected("unknown_deployment", deployment_id)
    return registration


def find_enabled_registration(
    tool_conf: DatabaseToolConf, issuer: str, client_id: str | None
) -> StoredRegistration:
    registration = tool_conf.find_registration_by_params(issuer, client_id)
    if registration is None:
        if not tool_conf.issuer_known(issuer):
            raise LaunchRejected("unknown_issuer", issuer)
        raise LaunchRejected("unknown_client", f"{client_id!r} for {issuer}")
    if not registration.enabled:
        raise LaunchRejected("registration_disabled", issuer)
    return registration
