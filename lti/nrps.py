"""Names and Role Provisioning Services (NRPS v2): who is in a course, as the platform says.

The launch's NRPS claim names the context's membership URL.  The tool reads
it with a client-credentials token for the `contextmembership.readonly` scope,
page by page along the `Link: <...>; rel="next"` headers, and remembers a
`rel="differences"` link when the platform gives one: the next sync then asks
only for what changed since.

Moodle 4.5 answers roles as short names (`Learner`, `Instructor`); the
specification also allows full LIS URIs.  Both are stored as full URIs, which
`lti.claims.primary_role` reads like a launch's roles.

Roster syncs run in the outbox worker (`NrpsRosterSender`), never inside a
person's request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

import requests
from requests.utils import parse_header_links
from sqlalchemy.orm import Session

from lti import claims as c
from lti.service_tokens import ServiceTokens
from outbound.delivery import DeliveryFailed, failure_from_status
from storage import Context, MembershipStatus, PlatformRegistration
from storage.rosters import (
    ROSTER_TARGET,
    RosterMember,
    apply_roster,
    last_roster_result,
    record_roster_result,
)

log = logging.getLogger(__name__)

NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
MEMBERSHIP_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
TARGET = ROSTER_TARGET
CONTEXT_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SUB_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/"
MAX_PAGES = 1000  # a runaway `next` chain stops here (and then deactivates no one)

_LIMITS = {
    "name": c.MAX_LENGTHS[("name",)],
    "given_name": c.MAX_LENGTHS[("given_name",)],
    "family_name": c.MAX_LENGTHS[("family_name",)],
}
_WHOLE_OR_NOTHING = {
    "email": c.MAX_LENGTHS[("email",)],
    "lis_person_sourcedid": c.MAX_LENGTHS[(c.LIS, "person_sourcedid")],
}


def memberships_url(claims: dict) -> str | None:
    """The context membership URL a launch grants, or None when it grants none (or not v2)."""
    service = claims.get(NRPS_CLAIM)
    if not isinstance(service, dict):
        return None
    url = service.get("context_memberships_url")
    versions = service.get("service_versions")
    if isinstance(versions, list) and versions and "2.0" not in versions:
        return None
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


def normalise_role(role: str) -> str:
    """A full LIS role URI: short context roles (`Learner`, `Instructor#TeachingAssistant`)
    get the membership vocabulary; full URIs are kept as given."""
    role = role.strip()
    if ":" in role:
        return role
    if "#" in role:
        principal, sub_role = role.split("#", 1)
        return f"{SUB_ROLE}{principal}#{sub_role}"
    return CONTEXT_ROLE + role


def parse_member(raw: object) -> RosterMember | None:
    """One entry of `members`; None when it names no usable user id."""
    if not isinstance(raw, dict):
        return None
    subject = raw.get("user_id")
    if isinstance(subject, int) and not isinstance(subject, bool):
        subject = str(subject)
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        return None
    given_roles = raw.get("roles") if isinstance(raw.get("roles"), list) else []
    roles = [normalise_role(role) for role in given_roles if isinstance(role, str) and role.strip()]
    try:
        status = MembershipStatus(raw.get("status") or MembershipStatus.ACTIVE)
    except ValueError:
        status = MembershipStatus.ACTIVE  # the specification's default
    texts: dict[str, str | None] = {}
    for name in (*_LIMITS, *_WHOLE_OR_NOTHING):
        value = raw.get(name)
        value = value.strip() if isinstance(value, str) else ""
        if name in _LIMITS:
            value = value[: _LIMITS[name]]  # a long name is still a name
        elif len(value) > _WHOLE_OR_NOTHING[name]:
            value = ""  # a cut e-mail address or HR key would be a wrong one
        texts[name] = value or None
    return RosterMember(
        subject=subject,
        roles=tuple(dict.fromkeys(roles))[: c.MAX_ROLES],
        status=status,
        name=texts["name"],
        given_name=texts["given_name"],
        family_name=texts["family_name"],
        email=texts["email"],
        person_sourcedid=texts["lis_person_sourcedid"],
    )


def parse_container(body: object) -> tuple[list[RosterMember], int]:
    """The members of one membership container page, and how many entries were unusable."""
    if not isinstance(body, dict) or not isinstance(body.get("members"), list):
        raise ValueError("not a membership container: no members list")
    members, skipped = [], 0
    for raw in body["members"]:
        member = parse_member(raw)
        if member is None:
            skipped += 1
        else:
            members.append(member)
    return members, skipped


@dataclass
class Roster:
    members: list[RosterMember] = field(default_factory=list)
    complete: bool = True  # False when paging looped or ran past MAX_PAGES
    differences_url: str | None = None
    pages: int = 0
    skipped: int = 0


class NrpsClient:
    def __init__(
        self, http: requests.Session, tokens: ServiceTokens, max_pages: int = MAX_PAGES
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._max_pages = max_pages

    def fetch(self, session: Session, registration: PlatformRegistration, url: str) -> Roster:
        """Every page from `url` on; a `next` link already visited ends the listing early."""
        token = self._tokens.token(session, registration, [MEMBERSHIP_SCOPE])
        roster = Roster()
        seen: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            if next_url in seen or roster.pages >= self._max_pages:
                log.warning(
                    "NRPS paging of %s stopped after %s pages at %s (a loop or too many pages)",
                    url,
                    roster.pages,
                    next_url,
                )
                roster.complete = False
                break
            seen.add(next_url)
            response = self._get(registration, next_url, token)
            try:
                members, skipped = parse_container(json.loads(response.text))
            except ValueError as error:
                raise DeliveryFailed(
                    f"{next_url}: not a membership container ({error}): {response.text[:200]}",
                    retryable=True,
                ) from error
            roster.members.extend(members)
            roster.skipped += skipped
            roster.pages += 1
            links = _links(response, next_url)
            roster.differences_url = links.get("differences", roster.differences_url)
            next_url = links.get("next")
        return roster

    def _get(self, registration: PlatformRegistration, url: str, token: str) -> requests.Response:
        try:
            response = self._http.get(
                url,
                headers={"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_CONTAINER},
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"{url}: {error}", retryable=True) from error
        if response.status_code == 401:
            self._tokens.forget(registration.id)  # revoked early: the retry asks for a new one
            raise DeliveryFailed(f"HTTP 401 from {url}", retryable=True)
        if response.status_code != 200:
            raise failure_from_status(
                response.status_code, response.text, response.headers.get("Retry-After")
            )
        return response


def _links(response: requests.Response, base: str) -> dict[str, str]:
    """`Link` header targets by relation (relative ones resolved against the page's URL)."""
    found: dict[str, str] = {}
    header = response.headers.get("Link")
    if not header:
        return found
    for link in parse_header_links(header):
        target = link.get("url")
        if not target:
            continue
        for rel in (link.get("rel") or "").lower().split():
            found.setdefault(rel, urljoin(base, target))
    return found


class NrpsRosterSender:
    """Delivers an `nrps.roster` outbox payload (see `lti.rosters`): read and store a roster.

    With `full` unset it asks for the differences since the last sync when the
    platform offered that, and falls back to the whole roster when the platform
    refuses the differences link.
    """

    def __init__(self, http: requests.Session, tokens: ServiceTokens) -> None:
        self._client = NrpsClient(http, tokens)

    def __call__(self, session: Session, payload: dict) -> None:
        registration = session.get(PlatformRegistration, payload["registration_id"])
        if registration is None or not registration.enabled:
            raise DeliveryFailed(
                "the platform registration is removed or disabled", retryable=False
            )
        context = session.get(Context, payload["context_id"])
        if context is None:
            raise DeliveryFailed("the course is no longer stored", retryable=False)
        url = payload["memberships_url"]
        roster, full = None, True
        previous = None if payload.get("full") else last_roster_result(session, context.id)
        differences = (
            previous.get("differences_url")
            if previous and previous.get("memberships_url") == url
            else None
        )
        if differences:
            try:
                roster, full = self._client.fetch(session, registration, differences), False
            except DeliveryFailed as failed:
                if failed.retryable:
                    raise
                log.info("differences link of context %s refused (%s)", context.id, failed)
        if roster is None:
            roster = self._client.fetch(session, registration, url)
        changes = apply_roster(
            session,
            organisation_id=registration.organisation_id,
            issuer=registration.issuer,
            context_id=context.id,
            members=roster.members,
            complete=full and roster.complete,
        )
        if payload.get("key"):
            record_roster_result(
                session,
                payload["key"],
                {
                    "memberships_url": url,
                    "differences_url": roster.differences_url,
                    "full": full,
                    "complete": roster.complete,
                    "pages": roster.pages,
                    "members": len(roster.members),
                    "skipped": roster.skipped,
                    **changes.as_dict(),
                },
            )
