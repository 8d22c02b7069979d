"""An organisation admin (or an operator at the command line) answers a data-protection
request: finds the person, exports what the tool holds on them, or erases it."""

from __future__ import annotations

import pytest

from actions.privacy import erase_person, export_person, find_person, people_by_id, subject_of
from storage import Organisation, Person
from storage.audit import ERASE, EXPORT, audit_events
from tests.support.organisations import new_organisation, new_person

PUBLIC_URL = "https://kompetenslyft.example.se"


@pytest.fixture
def anna(database):
    """Anna of one organisation, and the id of another organisation."""
    ours = new_organisation(database)
    return ours, new_person(database, ours), new_organisation(database, "Grannkommun")


def _subject(session, organisation_id, person_id):
    organisation = session.get(Organisation, organisation_id)
    person, employee = find_person(session, organisation, person_id=person_id)
    return subject_of(session, organisation, person, employee, public_url=PUBLIC_URL)


def test_another_organisation_s_admin_does_not_find_the_person(database, anna):
    _ours, person_id, theirs = anna
    with database.sessions() as session:
        organisation = session.get(Organisation, theirs)
        assert find_person(session, organisation, person_id=person_id) == (None, None)


def test_an_export_is_in_the_audit_log_once_it_is_made(database, anna):
    ours, person_id, _theirs = anna
    with database.sessions() as session:
        made = export_person(session, _subject(session, ours, person_id), by_person_id=None)
    assert made.startswith(b"PK")  # a ZIP
    with database.sessions() as later:  # committed: another session sees it
        events = audit_events(later, ours)
    assert [(event.action, event.subject_person_id) for event in events] == [(EXPORT, person_id)]


def test_an_erasure_is_done_and_logged_without_naming_the_person(database, anna):
    ours, person_id, _theirs = anna
    with database.sessions() as session:
        done = erase_person(session, _subject(session, ours, person_id), by_person_id=None)
    with database.sessions() as later:
        person = later.get(Person, person_id)
        events = audit_events(later, ours)
    assert done.changed["people"] == 1 and (person is None or person.name is None)
    assert [(event.action, event.subject_person_id) for event in events] == [(ERASE, None)]
    assert events[0].detail["erasure"] == done.reference


def test_the_audit_log_names_only_the_organisation_s_own_people(database, anna):
    ours, person_id, theirs = anna
    stranger = new_person(database, theirs, "Bo Ström")
    with database.sessions() as session:
        named = people_by_id(session, ours, {person_id, stranger, None})
    assert set(named) == {person_id}
