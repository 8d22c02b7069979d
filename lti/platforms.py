"""Registering a learning platform for an organisation: the one rule, whatever the door.

Three doors register a platform: `kompetenslyft platform add` (an operator types the
platform's endpoints), LTI Dynamic Registration (the platform sends them,
`lti.registration_store`) and the built-in dev platform (`lti_tool.dev_platform`).  Before,
each wrote its own rows with its own rule; now all save through `save_platform`:

* one registration per issuer and client id; the pair of another organisation is never
  touched (`RegisteredElsewhere`);
* registering again refreshes the endpoints and adds deployments not yet known; the old
  deployments stay, so activities made with them keep launching;
* an empty name keeps the stored one; `enabled` stays as the tool's owner left it (a
  re-registration does not switch on a connection someone switched off), except for the dev
  platform, which asks for `switch_on`.

A new organisation is made by `storage.organisations.add_organisation` in the same
transaction: a refused registration leaves none behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.organisations import (
    Deployment,
    Organisation,
    PlatformRegistration,
    add_organisation,
)


@dataclass(frozen=True)
class NewOrganisation:
    """An organisation to make with the registration or invitation (see add_organisation)."""

    name: str
    slug: str | None = None


@dataclass(frozen=True)
class PlatformEndpoints:
    """What identifies a platform and where the tool reaches it."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    # The token endpoint's audience, when it is not the token endpoint's URL.
    auth_audience: str | None = None
    # A label for people ("Moodle 4.5.6"); empty keeps the stored one.
    name: str = ""


@dataclass(frozen=True)
class SavedPlatform:
    registration: PlatformRegistration
    created: bool
    # For a registration that was there: which of its values changed ("deployment" when
    # one was added), in a stable order.
    changed: tuple[str, ...] = ()


class RegisteredElsewhere(Exception):
    """That issuer and client id are registered for another organisation."""

    def __init__(self, issuer: str, client_id: str) -> None:
        super().__init__(f"{issuer} {client_id} is another organisation's")
        self.issuer = issuer
        self.client_id = client_id


def organisation_for(
    session: Session, organisation: Organisation | NewOrganisation
) -> Organisation:
    """The organisation itself, or the new one made now (in the caller's transaction)."""
    if isinstance(organisation, NewOrganisation):
        return add_organisation(session, organisation.name, organisation.slug)
    return organisation


def save_platform(
    session: Session,
    organisation: Organisation,
    endpoints: PlatformEndpoints,
    deployment_ids: Iterable[str],
    *,
    switch_on: bool = False,
) -> SavedPlatform:
    """Register the platform for the organisation, or refresh its registration, in the
    caller's transaction (see the module's rule)."""
    deployment_ids = list(dict.fromkeys(deployment_ids))
    existing = session.scalar(
        select(PlatformRegistration).where(
            PlatformRegistration.issuer == endpoints.issuer,
            PlatformRegistration.client_id == endpoints.client_id,
        )
    )
    if existing is None:
        registration = PlatformRegistration(
            organisation=organisation,
            name=endpoints.name,
            issuer=endpoints.issuer,
            client_id=endpoints.client_id,
            auth_login_url=endpoints.auth_login_url,
            auth_token_url=endpoints.auth_token_url,
            key_set_url=endpoints.key_set_url,
            auth_audience=endpoints.auth_audience,
            enabled=True,
            deployments=[Deployment(deployment_id=d) for d in deployment_ids],
        )
        session.add(registration)
        session.flush()
        return SavedPlatform(registration, created=True)
    if organisation.id is None or existing.organisation_id != organisation.id:
        raise RegisteredElsewhere(endpoints.issuer, endpoints.client_id)
    values = {
        "name": endpoints.name or existing.name,
        "auth_login_url": endpoints.auth_login_url,
        "auth_token_url": endpoints.auth_token_url,
        "key_set_url": endpoints.key_set_url,
        "auth_audience": endpoints.auth_audience,
    }
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    for name in changed:
        setattr(existing, name, values[name])
    known = {d.deployment_id for d in existing.deployments}
    added = [d for d in deployment_ids if d not in known]
    for deployment_id in added:
        existing.deployments.append(Deployment(deployment_id=deployment_id))
    if added:
        changed.append("deployment")
    if switch_on and not existing.enabled:
        existing.enabled = True
        changed.append("enabled")
    session.flush()
    return SavedPlatform(existing, created=False, changed=tuple(changed))


def register_platform(
    session: Session,
    organisation: Organisation | NewOrganisation,
    endpoints: PlatformEndpoints,
    deployment_ids: Iterable[str],
    *,
    switch_on: bool = False,
) -> SavedPlatform:
    """Register a platform whose endpoints an operator gave (or the dev platform's), for an
    organisation that may be new; committed, or rolled back with RegisteredElsewhere or
    storage.organisations.OrganisationRefused."""
    try:
        saved = save_platform(
            session,
            organisation_for(session, organisation),
            endpoints,
            deployment_ids,
            switch_on=switch_on,
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return saved


def login_origin(session: Session, registration_id: int | None) -> str:
    """The origin (scheme://host) of the platform's login page: the window the launch page
    asks to hold its proof of browser when the browser keeps no cookie of ours."""
    registration = session.get(PlatformRegistration, registration_id)
    parts = urlsplit(registration.auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"
