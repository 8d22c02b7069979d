"""An administrator finds people by part of a name or e-mail, or by employee number."""

import uuid

import pytest

from storage import Employee, Organisation, Person
from storage.person_search import find_people


@pytest.fixture
def organisations(database):
    """Two organisations; the first has Anna, Bo (employee K-17) and 100%-Eva."""
    with database.transaction() as session:
        ours, theirs = (
            Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name=name) for name in ("A", "B")
        )
        session.add_all([ours, theirs])
        session.flush()
        issuer = f"https://{ours.slug}.example.se"  # the tests share one database
        people = {
            "anna": Person(organisation_id=ours.id, issuer=issuer, subject="1", name="Anna Ek",
                           email="anna.ek@example.se"),
            "bo": Person(organisation_id=ours.id, issuer=issuer, subject="2", name="Bo Ström",
                         email="bo@example.se"),
            "eva": Person(organisation_id=ours.id, issuer=issuer, subject="3", name="100%-Eva"),
            "other": Person(organisation_id=theirs.id, issuer=issuer, subject="4", name="Anna Ås"),
        }  # fmt: skip
        session.add_all(people.values())
        session.flush()
        session.add(
            Employee(
                organisation_id=ours.id,
                employee_number="K-17",
                name="Bo Ström",
                person_id=people["bo"].id,
            )
        )
        return ours.id, {key: person.id for key, person in people.items()}


def names(session, organisation_id, query, **options):
    return [person.name for person in find_people(session, organisation_id, query, 20, **options)]


def test_part_of_a_name_or_address_finds_only_the_organisation_s_people(db, organisations):
    ours, _ = organisations
    assert names(db, ours, "anna") == ["Anna Ek"]
    assert names(db, ours, "EXAMPLE.SE") == ["Anna Ek", "Bo Ström"]


def test_an_employee_number_finds_its_person_only_when_asked(db, organisations):
    ours, _ = organisations
    assert names(db, ours, "k-17", by_employee_number=True) == ["Bo Ström"]
    assert names(db, ours, "k-17") == []


def test_wildcards_typed_by_the_administrator_are_taken_literally(db, organisations):
    ours, _ = organisations
    assert names(db, ours, "%") == ["100%-Eva"]
    assert names(db, ours, "_") == []
