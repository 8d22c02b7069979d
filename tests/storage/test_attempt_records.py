"""Attempts, called directly: resume or start, answers kept as given, one submission."""

import uuid

import pytest

from competence.frameworks import digcomp
from competence.instruments import shipped_documents, shipped_instruments
from storage import Organisation, Person
from storage.attempts import (
    AttemptRefused,
    AttemptStatus,
    answers_of,
    attempts_used,
    latest_submitted_attempt,
    load_instrument,
    save_answer,
    start_attempt,
    store_instrument,
    submit_attempt,
    unanswered,
)

SHORT = "digcomp-2.2-short"


@pytest.fixture
def person(database) -> int:
    with database.transaction() as session:
        organisation = Organisation(slug=f"o-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        row = Person(
            organisation_id=organisation.id,
            issuer=f"https://{organisation.slug}.example",
            subject="7",
        )
        session.add(row)
        session.flush()
        return row.id


def loaded_short(session):
    row = store_instrument(
        session, shipped_instruments()[SHORT], digcomp(), shipped_documents()[SHORT]
    )
    return load_instrument(session, row.id)


def started(session, person_id, loaded, allowed=None):
    return start_attempt(
        session,
        person_id=person_id,
        resource_link_id=None,
        instrument_row_id=loaded.row_id,
        attempts_allowed=allowed,
    )


def answer_all(session, attempt, loaded, option: int = 0) -> None:
    for item in loaded.instrument.items:
        save_answer(session, attempt, loaded, item.id, item.options[option].id)


def test_starting_again_resumes_the_attempt_in_progress(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        first = started(session, person, loaded)

        assert started(session, person, loaded).id == first.id
        assert first.status is AttemptStatus.IN_PROGRESS and not first.shared_with_manager


def test_a_changed_answer_replaces_the_first_one(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        attempt = started(session, person, loaded)
        item = loaded.instrument.items[0]

        save_answer(session, attempt, loaded, item.id, item.options[0].id)
        save_answer(session, attempt, loaded, item.id, item.options[1].id)

        assert answers_of(session, attempt.id) == {item.id: item.options[1].id}
        first_unanswered, _item = unanswered(loaded, answers_of(session, attempt.id))[0]
        assert first_unanswered == 2


def test_an_answer_to_an_unknown_question_or_option_is_refused(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        attempt = started(session, person, loaded)
        item = loaded.instrument.items[0]

        with pytest.raises(AttemptRefused) as unknown_item:
            save_answer(session, attempt, loaded, "no-such-item", item.options[0].id)
        with pytest.raises(AttemptRefused) as unknown_option:
            save_answer(session, attempt, loaded, item.id, "no-such-option")

        assert (unknown_item.value.reason, unknown_option.value.reason) == (
            "unknown_item",
            "unknown_option",
        )


def test_unanswered_questions_are_submitted_only_once_the_person_confirmed(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        attempt = started(session, person, loaded)
        item = loaded.instrument.items[0]
        save_answer(session, attempt, loaded, item.id, item.options[2].id)

        with pytest.raises(AttemptRefused) as refused:
            submit_attempt(session, attempt, loaded, None)
        assert refused.value.reason == "unanswered"
        assert attempt.status is AttemptStatus.IN_PROGRESS

        submit_attempt(session, attempt, loaded, None, unanswered_confirmed=True)
        assert attempt.status is AttemptStatus.SUBMITTED


def test_a_submitted_attempt_takes_no_more_answers_and_no_second_submission(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        attempt = started(session, person, loaded)
        answer_all(session, attempt, loaded, option=2)
        result = submit_attempt(session, attempt, loaded, None)

        assert attempt.overall_level == result.overall_level is not None
        item = loaded.instrument.items[0]
        for refused_action in (
            lambda: save_answer(session, attempt, loaded, item.id, item.options[0].id),
            lambda: submit_attempt(session, attempt, loaded, None),
        ):
            with pytest.raises(AttemptRefused) as refused:
                refused_action()
            assert refused.value.reason == "attempt_submitted"


def test_the_attempts_a_link_allows_are_used_up_by_finished_ones(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        attempt = started(session, person, loaded, allowed=1)
        answer_all(session, attempt, loaded)
        submit_attempt(session, attempt, loaded, None)

        assert attempts_used([attempt]) == 1
        with pytest.raises(AttemptRefused) as refused:
            started(session, person, loaded, allowed=1)
        assert refused.value.reason == "no_more_attempts"


def test_the_dialogue_looks_at_the_newest_assessment_that_assessed_something(database, person):
    with database.transaction() as session:
        loaded = loaded_short(session)
        assessed = started(session, person, loaded)
        answer_all(session, assessed, loaded, option=3)
        submit_attempt(session, assessed, loaded, None)
        empty = started(session, person, loaded)
        submit_attempt(session, empty, loaded, None, unanswered_confirmed=True)

        assert empty.overall_level is None
        assert latest_submitted_attempt(session, person).id == assessed.id
        assert latest_submitted_attempt(session, person, {SHORT}).id == assessed.id
        assert latest_submitted_attempt(session, person, {"another-instrument"}) is None
        assert latest_submitted_attempt(session, person, set()) is None
