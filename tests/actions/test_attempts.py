"""A learner's assessment through its one action per step: start, answer, leave, submit.

Submitting stores the result, its xAPI statements, the completion event and the grade for
the platform in one transaction, and a refused submission leaves everything as it was."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from actions.attempts import (
    AttemptRefused,
    answer_item,
    leave_attempt,
    open_link_instrument,
    start_or_resume,
    submit_attempt,
)
from lti.grades import AGS_ENDPOINT, SCORE_SCOPE
from storage import (
    Attempt,
    AttemptStatus,
    Delivery,
    Deployment,
    Employee,
    Launch,
    Organisation,
    PlatformRegistration,
    ResourceLink,
    XapiStatement,
)
from storage.completions import CompletionEvent
from storage.people import Person

PUBLIC_URL = "https://kompetenslyft.example.se"
SHORT = "digcomp-2.2-short"  # 21 questions


@dataclass
class Learner:
    organisation_id: int
    launch_id: str


def a_learner(database, *, attempts: str = "", grades: bool = True) -> Learner:
    """A learner launched from a course link that asks for the short assessment."""
    with database.transaction() as session:
        slug = f"org-{uuid.uuid4().hex[:8]}"
        organisation = Organisation(slug=slug, name="Umeå kommun")
        session.add(organisation)
        session.flush()
        registration = PlatformRegistration(
            organisation_id=organisation.id,
            issuer=f"https://{slug}.moodle.example.se",
            client_id="tool",
            auth_login_url="https://moodle.example.se/auth",
            auth_token_url="https://moodle.example.se/token",
            key_set_url="https://moodle.example.se/certs",
            deployments=[Deployment(deployment_id="1")],
        )
        person = Person(organisation_id=organisation.id, issuer=registration.issuer, subject="7")
        session.add_all([registration, person])
        session.flush()
        link = ResourceLink(
            deployment_id=registration.deployments[0].id,
            lti_resource_link_id="link-1",
            title="Digital kompetens",
            custom={"instrument": SHORT, "attempts": attempts},
        )
        session.add(link)
        session.add(
            Employee(
                organisation_id=organisation.id,
                employee_number="7",
                name="Lea Lärande",
                person_id=person.id,
            )
        )
        session.flush()
        claims = {"sub": "7"}
        if grades:
            claims[AGS_ENDPOINT] = {
                "scope": [SCORE_SCOPE],
                "lineitem": "https://moodle.example.se/lineitem/1",
            }
        launch = Launch(
            person_id=person.id,
            registration_id=registration.id,
            deployment_id=registration.deployments[0].id,
            resource_link_id=link.id,
            message_type="LtiResourceLinkRequest",
            claims=claims,
            locale="sv",
        )
        session.add(launch)
        session.flush()
        return Learner(organisation.id, launch.id)


def reporting(session, learner: Learner) -> dict:
    return {"launch": session.get(Launch, learner.launch_id), "public_url": PUBLIC_URL}


def started(session, learner: Learner):
    return start_or_resume(session, **reporting(session, learner), language="sv")


def answer_all(session, learner: Learner, attempt, loaded, count: int | None = None) -> None:
    for item in loaded.instrument.items[:count]:
        answer_item(
            session,
            attempt,
            loaded,
            item,
            item.options[-1].id,
            **reporting(session, learner),
            language="sv",
        )


def submit(session, learner: Learner, attempt, loaded, *, confirmed: bool = False):
    return submit_attempt(
        session,
        attempt,
        loaded,
        **reporting(session, learner),
        language="sv",
        unanswered_confirmed=confirmed,
        grade_comment=lambda result: f"Nivå {result.overall_level}",
    )


def verbs(database, learner: Learner) -> list[str]:
    with database.sessions() as session:
        return [
            verb.rsplit("/", 1)[-1]
            for verb in session.scalars(
                select(XapiStatement.verb).where(
                    XapiStatement.organisation_id == learner.organisation_id
                )
            )
        ]


def deliveries(database, learner: Learner) -> dict[str, list[dict]]:
    with database.sessions() as session:
        found: dict[str, list[dict]] = {}
        for row in session.scalars(
            select(Delivery).where(Delivery.organisation_id == learner.organisation_id)
        ):
            found.setdefault(row.target, []).append(row.payload)
        return found


def events(database, learner: Learner) -> int:
    with database.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(CompletionEvent)
            .where(CompletionEvent.organisation_id == learner.organisation_id)
        )


def test_a_learner_submitting_every_answer_is_scored_reported_and_graded_at_once(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded)

        result = submit(session, learner, attempt, loaded)

    assert result.finished and result.overall_level is not None
    with database.sessions() as session:
        stored = session.get(Attempt, attempt.id)
        assert stored.status is AttemptStatus.SUBMITTED
        assert stored.launch_id == learner.launch_id
    said = verbs(database, learner)
    assert said.count("answered") == len(loaded.instrument.items)
    assert said.count("completed") == 1
    assert events(database, learner) == 1
    [grade] = deliveries(database, learner)["ags.score"]
    assert grade["score"]["comment"] == f"Nivå {result.overall_level}"
    assert grade["score"]["scoreMaximum"] == result.max_level


def test_submitting_twice_reports_and_grades_once(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded)
        submit(session, learner, attempt, loaded)
        before = (sorted(verbs(database, learner)), deliveries(database, learner))

        with pytest.raises(AttemptRefused) as refused:
            submit(session, learner, attempt, loaded)

    assert refused.value.reason == "attempt_submitted"
    assert (sorted(verbs(database, learner)), deliveries(database, learner)) == before
    assert events(database, learner) == 1


def test_unanswered_questions_not_confirmed_leave_the_attempt_open_and_unreported(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded, count=5)
        attempt_id = attempt.id

        with pytest.raises(AttemptRefused) as refused:
            submit(session, learner, attempt, loaded)

    assert refused.value.reason == "unanswered"
    with database.sessions() as session:
        assert session.get(Attempt, attempt_id).status is AttemptStatus.IN_PROGRESS
    assert "completed" not in verbs(database, learner)
    assert "ags.score" not in deliveries(database, learner) and events(database, learner) == 0


def test_a_submission_that_assessed_nothing_is_no_completion(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)

        result = submit(session, learner, attempt, loaded, confirmed=True)

    assert not result.finished
    assert "completed" in verbs(database, learner)
    assert events(database, learner) == 0


def test_a_launch_without_grading_gets_no_grade_but_everything_else(database):
    learner = a_learner(database, grades=False)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded)

        submit(session, learner, attempt, loaded)

    assert "ags.score" not in deliveries(database, learner)
    assert events(database, learner) == 1


def test_a_link_allowing_one_attempt_refuses_a_second_after_the_first_is_submitted(database):
    learner = a_learner(database, attempts="1")
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded)
        submit(session, learner, attempt, loaded)

        with pytest.raises(AttemptRefused) as refused:
            started(session, learner)

    assert refused.value.reason == "no_more_attempts"


def test_resuming_an_attempt_records_no_second_start(database):
    learner = a_learner(database)
    with database.sessions() as session:
        first, _ = started(session, learner)

        again, _ = started(session, learner)

    assert again.id == first.id
    assert verbs(database, learner).count("initialized") == 1


def test_an_answer_after_submitting_is_refused_and_changes_nothing(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)
        answer_all(session, learner, attempt, loaded)
        submit(session, learner, attempt, loaded)
        before = sorted(verbs(database, learner))

        with pytest.raises(AttemptRefused) as refused:
            answer_all(session, learner, attempt, loaded, count=1)

    assert refused.value.reason == "attempt_submitted"
    assert sorted(verbs(database, learner)) == before


def test_leaving_twice_from_one_launch_is_one_statement(database):
    learner = a_learner(database)
    with database.sessions() as session:
        attempt, loaded = started(session, learner)

        for _ in range(2):
            leave_attempt(session, attempt, loaded, **reporting(session, learner), language="sv")

    assert verbs(database, learner).count("terminated") == 1


def test_opening_the_link_stores_the_instrument_it_asks_for(database):
    learner = a_learner(database)
    with database.sessions() as session:
        loaded = open_link_instrument(session, session.get(Launch, learner.launch_id))

    assert loaded.instrument.id == SHORT
    with database.sessions() as session:
        attempt, _ = started(session, learner)
        assert attempt.instrument_id == loaded.row_id
