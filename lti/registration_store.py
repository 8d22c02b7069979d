"""Storing a completed LTI Dynamic Registration: the platform's registration token spent
once, the invitation spent once, and the registration saved by the one rule of
`lti.platforms` (an update of the same organisation's registration takes the new values).

`is_update_token` and `update_target` read Moodle's "Update" from its registration token;
`complete_registration` is what the registration page calls once the platform has answered.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti.dynamic_registration import (
    PlatformConfiguration,
    RegistrationRefused,
    RegistrationResult,
    token_hash,
)
from lti.platforms import (
    NewOrganisation,
    PlatformEndpoints,
    RegisteredElsewhere,
    organisation_for,
    save_platform,
)
from storage import (
    Deployment,
    Organisation,
    PlatformRegistration,
    RegistrationInvitation,
    UsedRegistrationToken,
    utcnow,
)
from storage.audit import UPDATE_REGISTRATION, record_audit

# Moodle's registration token for "Update" on an existing tool (registration_helper, 4.x):
# scope `reg-update`, `sub` the tool type's id, which Moodle also sends as the deployment id.
UPDATE_SCOPE = "reg-update"


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

    @property
    def organisation(self) -> Organisation:
        return self.registration.organisation


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
    same organisation takes the new values and any new deployment (lti.platforms'
    rule).  One of another organisation is never touched.
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
        saved = save_platform(
            session, organisation, endpoints_of(configuration, result), [result.deployment_id]
        )
    except RegisteredElsewhere as error:
        session.rollback()
        raise RegistrationRefused("already_registered", str(error)) from error
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
    return StoredResult(saved.registration, updated=not saved.created, changed=saved.changed)


def endpoints_of(
    configuration: PlatformConfiguration, result: RegistrationResult
) -> PlatformEndpoints:
    """The registration's values from the platform's configuration and its answer."""
    audience = configuration.authorization_server
    return PlatformEndpoints(
        issuer=configuration.issuer,
        client_id=result.client_id,
        auth_login_url=configuration.authorization_endpoint,
        auth_token_url=configuration.token_endpoint,
        key_set_url=configuration.jwks_uri,
        auth_audience=audience if audience != configuration.token_endpoint else None,
        name=configuration.display_name,
    )


def complete_registration(
    session: Session,
    *,
    organisation: Organisation | NewOrganisation,
    configuration: PlatformConfiguration,
    result: RegistrationResult,
    registration_token: str | None,
    invitation: RegistrationInvitation | None = None,
) -> StoredResult:
    """The platform has answered the registration: store it for the organisation (made now
    when new), spend the token and the invitation, and audit an update; committed, or
    rolled back with a RegistrationRefused."""
    try:
        organisation = organisation_for(session, organisation)
        stored = store_registration(
            session,
            organisation=organisation,
            configuration=configuration,
            result=result,
            registration_token=registration_token,
            invitation=invitation,
        )
        if stored.updated:
            registration = stored.registration
            record_audit(
                session,
                organisation_id=organisation.id,
                action=UPDATE_REGISTRATION,
                actor_person_id=None,
                subject_person_id=None,
                detail={
                    "issuer": registration.issuer,
                    "client_id": registration.client_id,
                    "deployment_id": result.deployment_id,
                    "changed": list(stored.changed),
                },
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return stored
