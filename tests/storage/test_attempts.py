"""Attempts as stored: started or resumed, answered one upsert at a time, submitted once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from competence.frameworks import digcomp
from competence.instruments import shipped_documents, shipped_instruments
from storage import Answer, Attempt, AttemptStatus, Organisation
from storage.attempts import (
    AttemptRefused,
    answers_of,
    attempts_of,
    attempts_used,
    load_instrument,
    person_attempt,
    save_answer,
    start_attempt,
    store_instrument,
    submit_attempt,
    unanswered,
)
from storage.people import Person

SHORT = "digcomp-2.2-short"


def a_person(session) -> int:
    slug = f"org-{uuid.uuid4().hex[:8]}"
    organisation = Organisation(slug=slug, name="Umeå kommun")
    session.add(organisation)
    session.flush()
    person = Person(
        organisation_id=organisation.id, issuer=f"https://{slug}.example.se", subject="7"
    )
    session.add(person)
    session.flush()
    return person.id


def short_instrument(session):
    instrument = shipped_instruments()[SHORT]
    row = store_instrument(session, instrument, digcomp(), shipped_documents()[SHORT])
    return load_instrument(session, row.id)


def begun(session, person_id: int, allowed: int | None = None):
    loaded = short_instrument(session)
    attempt = start_attempt(
        session,
        person_id=person_id,
        resource_link_id=None,
        instrument_row_id=loaded.row_id,
        attempts_allowed=allowed,
    )
    return attempt, loaded


def answer(session, attempt, loaded, items) -> None:
    for item in items:
        save_answer(session, attempt, loaded, item.id, item.options[-1].id)


def test_a_shipped_instrument_is_stored_once_however_often_it_is_opened(database):
    with database.transaction() as session:
        instrument = shipped_instruments()[SHORT]
        first = store_instrument(session, instrument, digcomp(), shipped_documents()[SHORT])
        again = store_instrument(session, instrument, digcomp(), shipped_documents()[SHORT])

        assert first.id == again.id
        loaded = load_instrument(session, first.id)
        assert loaded.instrument.id == SHORT and loaded.framework.id == instrument.framework_id
        assert load_instrument(session, first.id) is loaded  # parsed once per process


def test_an_unknown_instrument_row_is_a_lookup_error(database):
    with database.sessions() as session, pytest.raises(LookupError):
        load_instrument(session, 2_000_000_000)


def test_a_person_starting_twice_resumes_the_attempt_in_progress(database):
    with database.transaction() as session:
        person_id = a_person(session)
        first, _ = begun(session, person_id)

        again, _ = begun(session, person_id)

        assert again.id == first.id
        assert [a.id for a in attempts_of(session, person_id, None)] == [first.id]


def test_another_persons_attempt_is_not_found(database):
    with database.transaction() as session:
        owner, stranger = a_person(session), a_person(session)
        attempt, loaded = begun(session, owner)

        found = person_attempt(session, attempt.id, owner)
        assert found is not None and found[0].id == attempt.id
        assert load_instrument(session, attempt.instrument_id, found[1]) is loaded
        assert person_attempt(session, attempt.id, stranger) is None


def test_changing_an_answer_keeps_one_answer_per_question(database):
    with database.transaction() as session:
        attempt, loaded = begun(session, a_person(session))
        item = loaded.instrument.items[0]

        save_answer(session, attempt, loaded, item.id, item.options[0].id)
        save_answer(session, attempt, loaded, item.id, item.options[-1].id)

        assert answers_of(session, attempt.id) == {item.id: item.options[-1].id}
        assert (
            session.scalar(
                select(func.count()).select_from(Answer).where(Answer.attempt_id == attempt.id)
            )
            == 1
        )


def test_an_answer_the_instrument_does_not_have_is_refused(database):
    with database.transaction() as session:
        attempt, loaded = begun(session, a_person(session))
        item = loaded.instrument.items[0]

        for item_id, option_id, reason in [
            ("no-such-item", item.options[0].id, "unknown_item"),
            (item.id, "no-such-option", "unknown_option"),
        ]:
            with pytest.raises(AttemptRefused) as refused:
                save_answer(session, attempt, loaded, item_id, option_id)
            assert refused.value.reason == reason
        assert answers_of(session, attempt.id) == {}


def test_unanswered_questions_are_listed_with_their_numbers(database):
    with database.transaction() as session:
        attempt, loaded = begun(session, a_person(session))
        answer(session, attempt, loaded, loaded.instrument.items[1:])

        missing = unanswered(loaded, answers_of(session, attempt.id))

        assert missing == [(1, loaded.instrument.items[0])]


def test_submitting_with_questions_unanswered_needs_the_persons_confirmation(database):
    with database.transaction() as session:
        attempt, loaded = begun(session, a_person(session))
        answer(session, attempt, loaded, loaded.instrument.items[:3])

        with pytest.raises(AttemptRefused) as refused:
            submit_attempt(session, attempt, loaded, None)
        assert refused.value.reason == "unanswered"
        assert attempt.status is AttemptStatus.IN_PROGRESS

        result = submit_attempt(session, attempt, loaded, None, unanswered_confirmed=True)

        assert attempt.status is AttemptStatus.SUBMITTED
        assert result.not_assessed(loaded.framework)
        assert attempt.result == result.to_document()


def test_a_submitted_attempt_takes_no_more_answers_and_no_second_submit(database):
    with database.transaction() as session:
        attempt, loaded = begun(session, a_person(session))
        answer(session, attempt, loaded, loaded.instrument.items)
        result = submit_attempt(session, attempt, loaded, None)
        assert result.finished and attempt.overall_level == result.overall_level

        for again in (
            lambda: submit_attempt(session, attempt, loaded, None),
            lambda: answer(session, attempt, loaded, loaded.instrument.items[:1]),
        ):
            with pytest.raises(AttemptRefused) as refused:
                again()
            assert refused.value.reason == "attempt_submitted"


def test_a_submission_that_assessed_nothing_uses_up_no_attempt(database):
    with database.transaction() as session:
        person_id = a_person(session)
        attempt, loaded = begun(session, person_id, allowed=1)
        submit_attempt(session, attempt, loaded, None, unanswered_confirmed=True)

        assert attempts_used(attempts_of(session, person_id, None)) == 0
        second, _ = begun(session, person_id, allowed=1)

        assert second.id != attempt.id


def test_a_link_allowing_one_attempt_refuses_a_second_once_the_first_counts(database):
    with database.transaction() as session:
        person_id = a_person(session)
        attempt, loaded = begun(session, person_id, allowed=1)
        answer(session, attempt, loaded, loaded.instrument.items)
        submit_attempt(session, attempt, loaded, None)

        with pytest.raises(AttemptRefused) as refused:
            begun(session, person_id, allowed=1)

        assert refused.value.reason == "no_more_attempts"
        assert (
            session.scalar(
                select(func.count()).select_from(Attempt).where(Attempt.person_id == person_id)
            )
            == 1
        )
