"""Organisations and people made directly in the database, for tests that call functions
(the tests share one database per backend, so every slug and issuer is new)."""

from __future__ import annotations

import uuid

from storage import Database, Organisation, Person


def new_organisation(database: Database, name: str = "Kommun") -> int:
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:10]}", name=name)
        session.add(organisation)
        session.flush()
        return organisation.id


def new_person(database: Database, organisation_id: int, name: str = "Anna Ek") -> int:
    with database.transaction() as session:
        person = Person(
            organisation_id=organisation_id,
            issuer=f"https://{uuid.uuid4().hex[:10]}.example.se",
            subject="1",
            name=name,
            email=f"{uuid.uuid4().hex[:6]}@example.se",
        )
        session.add(person)
        session.flush()
        return person.id
