"""What the tool remembers of an accepted launch: the person, the course, the link.

Names and e-mail are refreshed on every launch (and cleared when the platform
stops sharing them), so the tool never holds more than the platform currently
discloses.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti import claims as c
from lti.tool_config import StoredRegistration
from storage import Context, Deployment, Launch, Person, PlatformRegistration, ResourceLink, utcnow
from storage.database import get_or_create
from storage.staff import link_person


def record_launch(
    session: Session, registration: StoredRegistration, deployment: Deployment, body: dict
) -> Launch:
    person = get_or_create(
        session,
        lambda: session.scalar(
            select(Person).where(
                Person.issuer == registration.get_issuer(), Person.subject == body["sub"]
            )
        ),
        lambda: Person(
            organisation_id=registration.organisation_id,
            issuer=registration.get_issuer(),
            subject=body["sub"],
        ),
    )
    person.name = body.get("name")
    person.given_name = body.get("given_name")
    person.family_name = body.get("family_name")
    person.email = body.get("email")
    person.person_sourcedid = c.claim(body, (c.LIS, "person_sourcedid"))
    person.updated_at = utcnow()
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
        message_type=body[c.MESSAGE_TYPE],
        roles=list(body[c.ROLES]),
        locale=presentation.get("locale"),
        return_url=_web_url(presentation.get("return_url")),
        claims=body,
    )
    session.add(launch)
    session.execute(
        update(PlatformRegistration)
        .where(PlatformRegistration.id == registration.row_id)
        .values(last_launch_at=utcnow())
    )
    session.flush()
    return launch


def record_launch_error(session: Session, registration_id: int, reason: str) -> None:
    """Keep the latest refusal on the registration, for the admin pages."""
    session.execute(
        update(PlatformRegistration)
        .where(PlatformRegistration.id == registration_id)
        .values(last_error=reason[:500], last_error_at=utcnow())
    )


def _web_url(url: object) -> str | None:
    """A link the page may show: http(s) only, never javascript: or data: URLs."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None
