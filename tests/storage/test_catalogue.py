"""An organisation admin or programme lead keeps the organisation's activity catalogue:
adds, edits, retires and imports entries; each change is saved when the function returns."""

from __future__ import annotations

import pytest

from competence.catalogue import DEFAULT_FRAMEWORK, Entry
from storage.catalogue import (
    LearningActivity,
    add_entry,
    catalogue_of,
    framework_keys,
    import_catalogue,
    own_activity,
    save_entry,
    set_entry_active,
)
from tests.support.organisations import new_organisation


def _entry(title: str, **fields) -> Entry:
    return Entry(
        title=title,
        kind=fields.get("kind", "course"),
        url=fields.get("url"),
        language="sv",
        duration_minutes=None,
        framework_key=DEFAULT_FRAMEWORK,
        builds=(),
    )


@pytest.fixture
def organisation_id(database):
    return new_organisation(database)


def _titles(database, organisation_id, **options) -> list[str]:
    with database.sessions() as session:
        return sorted(
            row.title
            for row in catalogue_of(session, organisation_id, **options)
            if row.organisation_id == organisation_id
        )


def test_an_added_entry_is_in_the_catalogue_at_once(database, organisation_id):
    with database.sessions() as session:
        add_entry(session, organisation_id, _entry("Excel för nybörjare"))
    assert _titles(database, organisation_id) == ["Excel för nybörjare"]


def test_an_edited_entry_keeps_its_row_and_shows_the_new_title(database, organisation_id):
    with database.sessions() as session:
        row_id = add_entry(session, organisation_id, _entry("Exel")).id
    with database.sessions() as session:
        save_entry(session, own_activity(session, organisation_id, row_id), _entry("Excel"))
    with database.sessions() as session:
        assert session.get(LearningActivity, row_id).title == "Excel"


def test_a_retired_entry_is_listed_only_among_the_retired(database, organisation_id):
    with database.sessions() as session:
        row = add_entry(session, organisation_id, _entry("Gammal kurs"))
        set_entry_active(session, row, False)
    assert _titles(database, organisation_id) == []
    assert _titles(database, organisation_id, include_retired=True) == ["Gammal kurs"]


def test_a_dry_run_import_counts_and_saves_nothing(database, organisation_id):
    entries = [_entry("Teams"), _entry("Outlook")]
    with database.sessions() as session:
        done = import_catalogue(session, organisation_id, entries, dry_run=True)
    assert (done.added, done.updated) == (2, 0)
    assert _titles(database, organisation_id) == []


def test_an_import_adds_new_entries_and_updates_known_ones(database, organisation_id):
    with database.sessions() as session:
        add_entry(session, organisation_id, _entry("Teams", kind="lecture"))
        done = import_catalogue(session, organisation_id, [_entry("Teams"), _entry("Outlook")])
    assert (done.added, done.updated) == (1, 1)
    assert _titles(database, organisation_id) == ["Outlook", "Teams"]


def test_an_entry_may_name_the_shipped_framework_even_when_none_is_stored(database):
    with database.sessions() as session:
        assert DEFAULT_FRAMEWORK in framework_keys(session, new_organisation(database))
