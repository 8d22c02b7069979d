"""Answering a data-protection request: find a person, export what the tool holds on
them, or erase it, each logged in the audit log.

Shared by the command line (`kompetenslyft person …`) and the organisation admin's
page.  Which tables hold what, and what erasure does to each, is decided in
storage.personal_data; here the person's statement actors are worked out (they depend
on the organisation's xAPI actor mode) and the audit rows written.  Export and erasure
own their transaction: each commits, with its audit row, before it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.privacy_summary import SummaryFacts, summary_facts
from storage.audit import ERASE, EXPORT, record_audit
from storage.database import utcnow
from storage.organisations import Organisation
from storage.people import Person
from storage.personal_data import Subject, find_subject
from storage.personal_erasure import ExternalHolder, erase, external_holders, new_reference
from storage.personal_export import export_zip
from storage.staff import Employee
from storage.statements import agent_key
from xapi.actors import Learner, every_actor, pseudonym


def find_person(
    session: Session,
    organisation: Organisation,
    *,
    person_id: int | None = None,
    employee_number: str | None = None,
    email: str | None = None,
) -> tuple[Person | None, Employee | None]:
    """The organisation's person (LTI identity) and employee matching one of the keys;
    (None, None) when nobody does.  Another organisation's people are never found."""
    person = employee = None
    if person_id is not None:
        person = session.scalar(
            select(Person).where(Person.id == person_id, Person.organisation_id == organisation.id)
        )
    elif employee_number:
        employee = session.scalar(
            select(Employee).where(
                Employee.organisation_id == organisation.id,
                Employee.employee_number == employee_number.strip(),
            )
        )
    elif email:
        address = email.strip().lower()
        person = session.scalar(
            select(Person)
            .where(Person.organisation_id == organisation.id, func.lower(Person.email) == address)
            .order_by(Person.id)
            .limit(1)
        )
        if person is None:
            employee = session.scalar(
                select(Employee).where(
                    Employee.organisation_id == organisation.id, Employee.email == address
                )
            )
    if person is not None and employee is None:
        employee = session.scalar(select(Employee).where(Employee.person_id == person.id))
    if employee is not None and person is None and employee.person_id is not None:
        person = session.get(Person, employee.person_id)
    return person, employee


def people_by_id(session: Session, organisation_id: int, ids) -> dict[int, Person]:
    """The organisation's people among `ids` (the audit log names them by id)."""
    mine = select(Person).where(
        Person.id.in_(set(ids) - {None}), Person.organisation_id == organisation_id
    )
    return {row.id: row for row in session.scalars(mine)}


def subject_of(
    session: Session,
    organisation: Organisation,
    person: Person | None,
    employee: Employee | None,
    *,
    public_url: str,
) -> Subject:
    """Everything the tool holds on the person, with the actors their statements name."""
    agents, identifiers, pseudonyms = [], [], []
    if person is not None:
        learner = Learner(
            issuer=person.issuer,
            subject=person.subject,
            name=person.display_name,
            email=person.email,
        )
        for actor in every_actor(
            learner, public_url=public_url, pseudonym_key=organisation.xapi_pseudonym_key
        ):
            agents.append(agent_key(actor.to_json()))
            identifiers += [actor.mbox, actor.account.name if actor.account else None]
        if organisation.xapi_pseudonym_key:
            pseudonyms.append(
                pseudonym(organisation.xapi_pseudonym_key, person.issuer, person.subject)
            )
    return find_subject(
        session,
        organisation.id,
        person=person,
        employee=employee,
        agents=[agent for agent in agents if agent],
        pseudonyms=pseudonyms,
        identifiers=[value for value in identifiers if value],
    )


def export_person(
    session: Session,
    subject: Subject,
    *,
    by_person_id: int | None,
    summary: Callable[[SummaryFacts, datetime], list[tuple[str, bytes]]] | None = None,
) -> bytes:
    """The ZIP, its audit row committed.  `summary` writes the document for the person
    from the facts (actions.privacy_summary): its files come first."""
    made_at = utcnow()
    first = summary(summary_facts(session, subject), made_at) if summary else []
    made = export_zip(session, subject, made_at=made_at, first=first)
    record_audit(
        session,
        organisation_id=subject.organisation_id,
        action=EXPORT,
        actor_person_id=by_person_id,
        subject_person_id=subject.person_id,
        detail={"employee_ids": subject.employee_ids},
    )
    session.commit()
    return made


@dataclass(frozen=True)
class ErasureDone:
    reference: str
    changed: dict[str, int]
    holders: list[ExternalHolder]


def erase_person(session: Session, subject: Subject, *, by_person_id: int | None) -> ErasureDone:
    """Erase and commit; the audit row names the erasure by its own random reference,
    never by the person (whose row is pseudonymised with it)."""
    holders = external_holders(session, subject)
    reference = new_reference()
    changed = erase(session, subject, reference)
    record_audit(
        session,
        organisation_id=subject.organisation_id,
        action=ERASE,
        actor_person_id=by_person_id,
        subject_person_id=None,
        detail={
            "erasure": reference,
            "changed": changed,
            "external": [
                {"kind": holder.kind, "name": holder.name, "count": holder.count}
                for holder in holders
            ],
        },
    )
    session.commit()
    return ErasureDone(reference, changed, holders)
