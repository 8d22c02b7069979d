"""Organisations and people made directly in the database, for tests that call functions
(the tests share one database per backend, so every slug and issuer is new)."""

from __future__ import annotations

import uuid

from storage import Database, Organisation, Person, PlatformRegistration


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


def new_registration(database: Database, organisation_id: int) -> int:
    """A platform registration of the organisation (enabled), with a new issuer."""
    issuer = f"https://{uuid.uuid4().hex[:10]}.example.se"
    with database.transaction() as session:
        registration = PlatformRegistration(
            organisation_id=organisation_id,
            issuer=issuer,
            client_id="tool",
            auth_login_url=issuer + "/auth",
            auth_token_url=issuer + "/token",
            key_set_url=issuer + "/certs",
        )
        session.add(registration)
        session.flush()
        return registration.id
