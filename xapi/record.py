"""Writing statements into the caller's transaction, and where a launch says they happen.

A statement is stored and, when the organisation has an LRS, queued for it in
the same transaction as the event: the forwarding job (sync.xapi_forwarding)
takes it from the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session, object_session

from storage.launches import Launch
from storage.organisations import xapi_pseudonym_key
from storage.outbox import enqueue
from storage.statements import write_statements
from xapi.actors import LTI, PSEUDONYM, Learner, actor_of
from xapi.model import Agent, Statement
from xapi.statements import Where


def where_of(launch: Launch, public_url: str, language: str) -> Where:
    """The actor (in the organisation's actor mode) and the LTI context of a launch."""
    context, link = launch.context, launch.resource_link
    return Where(
        actor=actor_of_launch(launch, public_url),
        public_url=public_url,
        issuer=launch.registration.issuer,
        subject=launch.person.subject,
        deployment_id=launch.deployment.deployment_id,
        language=language,
        context_row_id=context.id if context else None,
        lti_context_id=context.lti_context_id if context else None,
        context_title=context.title if context else None,
        resource_link_row_id=link.id if link else None,
        lti_resource_link_id=link.lti_resource_link_id if link else None,
        resource_link_title=link.title if link else None,
    )


def actor_of_launch(launch: Launch, public_url: str) -> Agent:
    """The launch's person as its organisation wants statements to name them."""
    organisation = launch.registration.organisation
    mode = organisation.xapi_actor or LTI
    person = launch.person
    key = None
    if mode == PSEUDONYM:
        # Made on first use, in the event's transaction, and kept for good.
        key = xapi_pseudonym_key(object_session(launch), organisation)
    learner = Learner(
        issuer=person.issuer, subject=person.subject, name=person.display_name, email=person.email
    )
    return actor_of(mode, learner, public_url=public_url, pseudonym_key=key)


TARGET = "xapi.statement"


def record(session: Session, statement: Statement, organisation_id: int) -> None:
    """Store the statement with the event's transaction; the same statement twice is kept once."""
    write_statements(session, [statement.to_json()], organisation_id, queue_target=TARGET)


def record_many(session: Session, statements: Iterable[Statement], organisation_id: int) -> None:
    """`record` for the several statements of one event, in one round trip on PostgreSQL."""
    made = [statement.to_json() for statement in statements]
    write_statements(session, made, organisation_id, queue_target=TARGET)


def record_json(session: Session, statement: dict, organisation_id: int) -> None:
    write_statements(session, [statement], organisation_id, queue_target=TARGET)


def queue_for_lrs(session: Session, statement_id: str, lrs_id: int, organisation_id: int) -> None:
    """One outbox row per statement and LRS: a new LRS can be sent what an old one had."""
    enqueue(
        session,
        TARGET,
        f"{lrs_id}:{statement_id}",
        {"statement_id": statement_id},
        organisation_id=organisation_id,
    )
