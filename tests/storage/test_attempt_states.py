"""A person's earlier assessment and each person's state per instrument, read from attempts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from competence.frameworks import digcomp
from competence.instruments import shipped_documents, shipped_instruments
from storage import Attempt, AttemptStatus, Organisation, Person
from storage.attempts import (
    FINISHED,
    IN_PROGRESS,
    instrument_states,
    previous_assessment,
    store_instrument,
)

SHORT = "digcomp-2.2-short"


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 9, tzinfo=UTC)


@pytest.fixture
def people(database):
    """Two people of a new organisation (the tests share one database), and the short
    DigComp instrument's row."""
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Kommun")
        session.add(organisation)
        session.flush()
        anna, bo = (
            Person(organisation_id=organisation.id, issuer=organisation.slug, subject=subject)
            for subject in ("anna", "bo")
        )
        session.add_all([anna, bo])
        instrument = store_instrument(
            session, shipped_instruments()[SHORT], digcomp(), shipped_documents()[SHORT]
        )
        session.flush()
        return anna.id, bo.id, instrument.id


def add(session, person_id, instrument_id, started: int, submitted: int | None, level=None):
    attempt = Attempt(
        person_id=person_id,
        instrument_id=instrument_id,
        status=AttemptStatus.IN_PROGRESS if submitted is None else AttemptStatus.SUBMITTED,
        started_at=at(started),
        submitted_at=None if submitted is None else at(submitted),
        result=None if submitted is None else {"competences": {}},
        overall_level=level,
    )
    session.add(attempt)
    session.flush()
    return attempt


def test_a_results_page_compares_with_the_latest_earlier_assessment_that_assessed_something(
    db, people
):
    anna, bo, instrument = people
    first = add(db, anna, instrument, 1, 2, level=2)
    second = add(db, anna, instrument, 3, 4, level=3)
    add(db, anna, instrument, 5, 6, level=None)  # assessed nothing: no comparison
    add(db, bo, instrument, 5, 6, level=5)  # someone else's
    latest = add(db, anna, instrument, 7, 8, level=4)

    assert previous_assessment(db, latest) == second
    assert previous_assessment(db, second) == first
    assert previous_assessment(db, first) is None
    db.rollback()


def test_a_manager_sees_each_persons_state_from_their_latest_attempt(db, people):
    anna, bo, instrument = people
    add(db, anna, instrument, 1, 2, level=3)
    add(db, anna, instrument, 3, 4, level=None)  # an empty retake hides nothing before it
    add(db, bo, instrument, 1, 2, level=2)
    add(db, bo, instrument, 3, None)  # a retake under way

    states = instrument_states(db, [anna, bo], [SHORT, "other"])

    assert states == {(anna, SHORT): FINISHED, (bo, SHORT): IN_PROGRESS}
    assert instrument_states(db, [], [SHORT]) == {}
    assert instrument_states(db, [anna], []) == {}
    db.rollback()


def test_an_empty_submission_alone_counts_as_started_not_finished(db, people):
    anna, _, instrument = people
    add(db, anna, instrument, 1, 2, level=None)

    assert instrument_states(db, [anna], [SHORT]) == {(anna, SHORT): IN_PROGRESS}
    db.rollback()
