"""What the tool remembers of an accepted launch: the person, the course, the link.

Names and e-mail are refreshed on every launch (and cleared when the platform
stops sharing them), so the tool never holds more than the platform currently
discloses.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lti import claims as c
from lti.rosters import queue_roster_sync
from lti.tool_config import StoredRegistration
from storage import Context, Deployment, Launch, Person, PlatformRegistration, ResourceLink, utcnow
from storage.database import get_or_create, get_or_insert
from storage.staff import link_person

# How fresh the registration's "last launch" (for the admin pages) is kept.
LAST_LAUNCH_RESOLUTION = timedelta(minutes=1)


def record_launch(
    session: Session, registration: StoredRegistration, deployment: Deployment, body: dict
) -> Launch:
    disclosed = {
        "name": body.get("name"),
        "given_name": body.get("given_name"),
        "family_name": body.get("family_name"),
        "email": body.get("email"),
        "person_sourcedid": c.claim(body, (c.LIS, "person_sourcedid")),
    }
    now = utcnow()
    person = get_or_insert(
        session,
        Person,
        lambda: session.scalar(
            select(Person).where(
                Person.issuer == registration.get_issuer(), Person.subject == body["sub"]
            )
        ),
        # A new person is inserted with what the platform discloses (no UPDATE after it).
        {
            "organisation_id": registration.organisation_id,
            "issuer": registration.get_issuer(),
            "subject": body["sub"],
            "created_at": now,
            "updated_at": now,
            **disclosed,
        },
    )
    for name, value in disclosed.items():
        setattr(person, name, value)
    person.updated_at = now
    # The HR record this identity belongs to (idnumber, else e-mail), linked once.
    link_person(session, person)

    context = None
    context_claim = body.get(c.CONTEXT) or {}
    if context_claim.get("id"):
        context = get_or_create(
            session,
            lambda: session.scalar(
                select(Context).where(
                    Context.deployment_id == deployment.id,
                    Context.lti_context_id == context_claim["id"],
                )
            ),
            lambda: Context(deployment_id=deployment.id, lti_context_id=context_claim["id"]),
        )
        context.label = context_claim.get("label")
        context.title = context_claim.get("title")
        context.types = [str(kind) for kind in context_claim.get("type") or []]

    link = None
    link_claim = body.get(c.RESOURCE_LINK) or {}
    if link_claim.get("id"):
        link = get_or_create(
            session,
            lambda: session.scalar(
                select(ResourceLink).where(
                    ResourceLink.deployment_id == deployment.id,
                    ResourceLink.lti_resource_link_id == link_claim["id"],
                )
            ),
            lambda: ResourceLink(
                deployment_id=deployment.id, lti_resource_link_id=link_claim["id"]
            ),
        )
        link.context_id = context.id if context else None
        link.title = link_claim.get("title")
        link.description = link_claim.get("description")
        link.custom = dict(body.get(c.CUSTOM) or {})

    presentation = body.get(c.LAUNCH_PRESENTATION) or {}
    launch = Launch(
        person_id=person.id,
        registration_id=registration.row_id,
        deployment_id=deployment.id,
        context_id=context.id if context else None,
        resource_link_id=link.id if link else None,
        # Set, not lazy-loaded later: the launch's page reads them right after the commit.
        person=person,
        deployment=deployment,
        context=context,
        resource_link=link,
        message_type=body[c.MESSAGE_TYPE],
        roles=list(body[c.ROLES]),
        locale=presentation.get("locale"),
        return_url=_web_url(presentation.get("return_url")),
        claims=body,
    )
    session.add(launch)
    # Written at most once a minute: every launch writing the one registration row made
    # concurrent launches queue on its row lock until each commit. The row as read at the
    # start of this launch tells whether it is due, so most launches send no UPDATE at all.
    last = registration.last_launch_at
    if last is None or last < now - LAST_LAUNCH_RESOLUTION:
        session.execute(
            update(PlatformRegistration)
            .where(
                PlatformRegistration.id == registration.row_id,
                or_(
                    PlatformRegistration.last_launch_at.is_(None),
                    PlatformRegistration.last_launch_at < now - LAST_LAUNCH_RESOLUTION,
                ),
            )
            .values(last_launch_at=now)
        )
    session.flush()
    return launch


def accept_launch(
    session: Session, registration: StoredRegistration, deployment: Deployment, body: dict
) -> Launch:
    """A validated launch recorded, its roster's sync queued (the outbox worker fetches it
    later, never during the launch), and committed."""
    launch = record_launch(session, registration, deployment, body)
    queue_roster_sync(session, launch)
    session.commit()
    return launch


def record_launch_error(session: Session, registration_id: int, reason: str) -> None:
    """Keep the latest refusal on the registration, for the admin pages (committed)."""
    session.execute(
        update(PlatformRegistration)
        .where(PlatformRegistration.id == registration_id)
        .values(last_error=reason[:500], last_error_at=utcnow())
    )
    session.commit()


def _web_url(url: object) -> str | None:
    """A link the page may show: http(s) only, never javascript: or data: URLs."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None
