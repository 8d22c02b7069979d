"""A launched assessment, from the learner's side: open it, start or resume an attempt,
answer, leave, and submit and report it.

Each function owns its transaction: what it stores, its xAPI statements and its outbox
rows (the grade for the platform, the completion for HR, Moodle and the plan) are
committed together or not at all.  A refusal (storage.attempts.AttemptRefused, with its
reason) rolls back first; the page turns the reason into its answer.

Submitting does, in one transaction: close and score the attempt (exactly one concurrent
submit wins, storage.attempts.submit_attempt), record the `completed`/judged/levels
statements, the completion event when something was assessed, and queue the grade.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.frameworks import digcomp
from competence.instruments import Instrument, Item, shipped_documents, shipped_instruments
from competence.maturity import (
    MATURITY_INSTRUMENT,
    maturity_document,
    maturity_framework,
    maturity_instrument,
)
from competence.scoring import AssessmentResult
from lti import link_settings
from lti.grades import queue_score
from storage import Attempt, ResourceLink, utcnow
from storage import attempts as stored
from storage.attempts import AttemptRefused, LoadedInstrument
from storage.completions import record_completion
from storage.frameworks import find_instrument_row
from storage.launches import Launch
from storage.plans import matching_plan_item
from storage.staff import Employee
from xapi import statements as xapi_statements
from xapi.record import record, record_many, where_of

DEFAULT_INSTRUMENT = "digcomp-2.2-full"
# A plan item whose learning activity is "instrument:<key>" is done by that assessment.
ASSESSMENT_URL_PREFIX = "instrument:"


def link_instrument(resource_link: ResourceLink | None) -> Instrument:
    """The instrument a course link asks for (its settings, else custom `instrument`), else full."""
    wanted = link_settings.instrument_key(resource_link)
    instruments = shipped_instruments()
    return instruments.get(wanted) or instruments[DEFAULT_INSTRUMENT]


def _stored_link_instrument(
    session: Session, resource_link: ResourceLink | None, organisation_id: int
) -> LoadedInstrument:
    """The link's instrument as stored: the organisation's own by that key, else a shipped one
    (stored on first use, in the caller's transaction)."""
    wanted = link_settings.instrument_key(resource_link)
    if wanted == MATURITY_INSTRUMENT:
        # The yearly maturity survey ships with its own framework, not DigComp.
        row = stored.store_instrument(
            session, maturity_instrument(), maturity_framework(), maturity_document()
        )
        return stored.load_instrument(session, row.id)
    if wanted and wanted not in shipped_instruments():
        own = find_instrument_row(session, wanted, organisation_id)
        if own is not None:
            return stored.load_instrument(session, own.id)
    instrument = link_instrument(resource_link)
    document = shipped_documents()[instrument.id]
    row = stored.store_instrument(session, instrument, digcomp(), document)
    return stored.load_instrument(session, row.id)


def open_link_instrument(session: Session, launch: Launch) -> LoadedInstrument:
    """The instrument the launch's link asks for, stored (and committed) on first use."""
    loaded = _stored_link_instrument(session, launch.resource_link, launch.person.organisation_id)
    session.commit()
    return loaded


def start_or_resume(
    session: Session, launch: Launch, *, public_url: str, language: str
) -> tuple[Attempt, LoadedInstrument]:
    """The attempt in progress at the launch's link, else a new one if the link allows
    (AttemptRefused("no_more_attempts") otherwise), with the instrument it is on.

    Its `attempted` statement's id comes from the attempt, so resuming records nothing new."""
    loaded = _stored_link_instrument(session, launch.resource_link, launch.person.organisation_id)
    try:
        attempt = stored.start_attempt(
            session,
            person_id=launch.person_id,
            resource_link_id=launch.resource_link_id,
            instrument_row_id=loaded.row_id,
            attempts_allowed=link_settings.attempts_allowed(launch.resource_link),
        )
    except AttemptRefused:
        session.rollback()
        raise
    if attempt.instrument_id != loaded.row_id:  # resumed, on the instrument it was started on
        loaded = stored.load_instrument(session, attempt.instrument_id)
    record(
        session,
        xapi_statements.attempt_started(
            where_of(launch, public_url, language),
            attempt_id=attempt.id,
            started_at=attempt.started_at,
            instrument=loaded.instrument,
            framework=loaded.framework,
        ),
        launch.person.organisation_id,
    )
    session.commit()
    return attempt, loaded


def answer_item(
    session: Session,
    attempt: Attempt,
    loaded: LoadedInstrument,
    item: Item,
    option_id: str,
    *,
    launch: Launch,
    public_url: str,
    language: str,
) -> None:
    """Save (or change) one answer with its `answered` statement.

    AttemptRefused("attempt_submitted") once the attempt is submitted, "unknown_item" or
    "unknown_option" for an answer the instrument does not have."""
    try:
        answered_at = stored.save_answer(session, attempt, loaded, item.id, option_id)
    except AttemptRefused:
        session.rollback()
        raise
    record(
        session,
        xapi_statements.item_answered(
            where_of(launch, public_url, language),
            attempt_id=attempt.id,
            answered_at=answered_at,
            instrument=loaded.instrument,
            framework=loaded.framework,
            item=item,
            option_id=option_id,
        ),
        launch.person.organisation_id,
    )
    session.commit()


def leave_attempt(
    session: Session,
    attempt: Attempt,
    loaded: LoadedInstrument,
    *,
    launch: Launch,
    public_url: str,
    language: str,
) -> None:
    """The learner left the assessment: one `terminated` statement per attempt and launch
    (the button and the page's beacon may both arrive for one departure)."""
    record(
        session,
        xapi_statements.attempt_left(
            where_of(launch, public_url, language),
            attempt_id=attempt.id,
            launch_id=launch.id,
            left_at=utcnow(),
            instrument=loaded.instrument,
            framework=loaded.framework,
        ),
        launch.person.organisation_id,
    )
    session.commit()


def submit_attempt(
    session: Session,
    attempt: Attempt,
    loaded: LoadedInstrument,
    launch: Launch,
    *,
    public_url: str,
    language: str,
    unanswered_confirmed: bool,
    grade_comment: Callable[[AssessmentResult], str],
) -> AssessmentResult:
    """Submit the attempt and report it, all committed together; its result.

    AttemptRefused("unanswered") when questions are unanswered and the learner did not
    confirm submitting anyway, ("attempt_submitted") when it already was submitted; then
    nothing changes.  `grade_comment` words the gradebook's comment in the learner's
    language (the page knows it)."""
    try:
        result = stored.submit_attempt(
            session, attempt, loaded, launch.id, unanswered_confirmed=unanswered_confirmed
        )
    except AttemptRefused:
        session.rollback()
        raise
    _record_submission(session, attempt, loaded, result, launch, public_url, language)
    if result.finished:
        # HR, Moodle and the person's plan hear of it through the outbox, in this transaction;
        # a submission that assessed nothing is no completion (competence.scoring).
        record_submitted_attempt(
            session, attempt, launch.registration.organisation_id, loaded.instrument, result
        )
    if result.overall_value is not None:
        queue_score(
            session,
            attempt,
            launch,
            result.overall_value,
            result.max_level,
            comment=grade_comment(result),
        )
    session.commit()
    return result


def _record_submission(
    session: Session,
    attempt: Attempt,
    loaded: LoadedInstrument,
    result: AssessmentResult,
    launch: Launch,
    public_url: str,
    language: str,
) -> None:
    """Completed; passed or failed (with a pass mark); the level reached per competence.

    Recorded together: one round trip on PostgreSQL for the 20-odd statements."""
    where = where_of(launch, public_url, language)
    event = {
        "attempt_id": attempt.id,
        "submitted_at": attempt.submitted_at,
        "instrument": loaded.instrument,
        "framework": loaded.framework,
        "result": result,
    }
    made = [xapi_statements.attempt_submitted(where, started_at=attempt.started_at, **event)]
    judged = xapi_statements.attempt_judged(where, **event)
    if judged is not None:
        made.append(judged)
    made += xapi_statements.competence_levels_reached(where, **event)
    record_many(session, made, launch.person.organisation_id)


def record_submitted_attempt(
    session: Session,
    attempt: Attempt,
    organisation_id: int,
    instrument: Instrument,
    result: AssessmentResult,
) -> int | None:
    """The completion event of a submitted assessment (the competence levels reached), in
    the caller's transaction; it completes the matching item of the person's agreed plan."""
    employee_id = session.scalar(
        select(Employee.id).where(
            Employee.organisation_id == organisation_id, Employee.person_id == attempt.person_id
        )
    )
    matched = matching_plan_item(
        session, employee_id, {instrument.id, ASSESSMENT_URL_PREFIX + instrument.id}
    )
    return record_completion(
        session,
        organisation_id=organisation_id,
        source="tool.attempt",
        source_key=str(attempt.id),
        kind="assessment",
        completed_at=attempt.submitted_at or utcnow(),
        person_id=attempt.person_id,
        employee_id=employee_id,
        framework_key=instrument.framework_id,
        levels={key: c.level for key, c in result.competences.items()},
        plan_id=matched[0] if matched else None,
        plan_item_key=matched[1] if matched else None,
        evidence={
            "instrument": instrument.id,
            "attempt_id": str(attempt.id),
            "overall_level": result.overall_level,
        },
    )
