"""The assessment flow: overview, one question per page, review, submit, results.

Each question page names what it asks in plain words (competence.instruments.plain_topic)
and, for instruments of OVERVIEW_FROM questions or more, leads to the list of all questions
(answered or not, each a link: like a quiz navigator). "Continue where you left off"
returns to the question after the one the person answered last (`_resume_at`).

With questions unanswered, the review page asks first: it lists them (each a link back),
"Answer them" is the main action and "Submit anyway" the second one, which alone submits
(storage.attempts.submit_attempt refuses otherwise, so an old form or a second tab cannot
skip the question).

A person only ever reaches their own attempts: every attempt route looks the
attempt up together with the person of the current launch, and anything else
is a 404, so attempt ids reveal nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext

from actions import attempts as assessing
from actions.attempts import AttemptRefused, LoadedInstrument
from competence.instruments import Item, plain_topic
from competence.scoring import AssessmentResult, score
from competence.texts import translated
from lti import link_settings
from lti_tool.auth import current_launch, launch_required
from lti_tool.database import db_session
from lti_tool.results import level_name, results_page
from storage import Attempt, AttemptStatus, ResourceLink
from storage.attempts import (
    answers_of,
    attempts_of,
    attempts_used,
    last_answered_item,
    load_instrument,
    person_attempt,
    unanswered,
)

bp = Blueprint("assessment", __name__)

# Instruments with this many questions or more get the list of all questions.
OVERVIEW_FROM = 10


def language() -> str:
    return get_locale().language


def attempts_allowed(resource_link: ResourceLink | None) -> int | None:
    """How many attempts the link allows (its settings, else custom `attempts`); else unlimited."""
    return link_settings.attempts_allowed(resource_link)


def _reporting() -> dict:
    """Who the statements of this request name, where, and in which language."""
    return {
        "launch": current_launch(),
        "public_url": current_app.config["SETTINGS"].public_url,
        "language": language(),
    }


def own_attempt(attempt_id: str) -> Attempt:
    """The attempt if it belongs to the person of this launch; 404 for anything else."""
    found = person_attempt(db_session(), attempt_id, current_launch().person_id)
    if found is None:
        abort(404)
    attempt, identity = found
    g.instrument_identity = identity  # for attempt_instrument: no second query
    return attempt


def attempt_instrument(attempt: Attempt) -> LoadedInstrument:
    """The instrument an attempt was started on, parsed (see storage.attempts)."""
    return load_instrument(db_session(), attempt.instrument_id, g.get("instrument_identity"))


def overview():
    """The start page of a launched assessment (shown at / after a launch)."""
    launch = current_launch()
    loaded = assessing.open_link_instrument(db_session(), launch)
    attempts = attempts_of(db_session(), launch.person_id, launch.resource_link_id)
    in_progress = next((a for a in attempts if a.status is AttemptStatus.IN_PROGRESS), None)
    if in_progress is not None and in_progress.instrument_id != loaded.row_id:
        # Started before a teacher changed the link's instrument: it keeps its own.
        loaded = load_instrument(db_session(), in_progress.instrument_id)
    answered = len(answers_of(db_session(), in_progress.id)) if in_progress else 0
    allowed = attempts_allowed(launch.resource_link)
    return render_template(
        "assessment/overview.html",
        launch=launch,
        instrument=loaded.instrument,
        in_progress=in_progress,
        answered=answered,
        submitted=[a for a in attempts if a.status is AttemptStatus.SUBMITTED],
        may_start=in_progress is None and (allowed is None or attempts_used(attempts) < allowed),
        left=request.args.get("left") == "1",
        language=language(),
    )


@bp.post("/assessment/start")
@launch_required
def start():
    try:
        attempt, loaded = assessing.start_or_resume(db_session(), **_reporting())
    except AttemptRefused:
        abort(409)
    number = _resume_at(attempt, loaded)
    if number is None:
        return redirect(url_for(".review", attempt_id=attempt.id), 303)
    return redirect(url_for(".item", attempt_id=attempt.id, number=number), 303)


def _resume_at(attempt: Attempt, loaded: LoadedInstrument) -> int | None:
    """Where the person stopped: the question after the one they answered last (they had
    moved on to it), the first with nothing answered yet; None after the last question
    (they had gone on to the review)."""
    last = last_answered_item(db_session(), attempt.id)
    items = loaded.instrument.items
    if last is None or loaded.instrument.item(last) is None:
        return 1
    position = loaded.instrument.position_of(last)  # from 0: the next question's number
    return position + 2 if position + 1 < len(items) else None


@bp.route("/attempts/<attempt_id>/items/<int:number>", methods=["GET", "POST"])
@launch_required
def item(attempt_id: str, number: int):
    attempt = own_attempt(attempt_id)
    loaded = attempt_instrument(attempt)
    items = loaded.instrument.items
    if not 1 <= number <= len(items):
        abort(404)
    if attempt.status is AttemptStatus.SUBMITTED:
        return redirect(url_for(".results", attempt_id=attempt.id), 303)
    current = items[number - 1]
    if request.method == "POST":
        chosen = request.form.get("answer")
        if chosen:
            try:
                assessing.answer_item(
                    db_session(), attempt, loaded, current, chosen, **_reporting()
                )
            except AttemptRefused as refused:
                abort(409 if refused.reason == "attempt_submitted" else 400)
        direction = request.form.get("direction")
        if direction == "back":
            return redirect(url_for(".item", attempt_id=attempt.id, number=max(1, number - 1)), 303)
        if direction == "overview":
            return redirect(url_for(".questions", attempt_id=attempt.id, at=number), 303)
        if number == len(items):
            return redirect(url_for(".review", attempt_id=attempt.id), 303)
        return redirect(url_for(".item", attempt_id=attempt.id, number=number + 1), 303)
    answers = answers_of(db_session(), attempt.id)
    return render_template(
        "assessment/item.html",
        attempt=attempt,
        item=current,
        number=number,
        total=len(items),
        answered=len(answers),
        chosen=answers.get(current.id),
        topic=_topic(loaded, current),
        with_overview=len(items) >= OVERVIEW_FROM,
        language=language(),
    )


def _topic(loaded: LoadedInstrument, question: Item) -> str:
    """The plain name of what the item asks; the competence's name when it has none."""
    topic = plain_topic(loaded.instrument, question)
    if not topic:
        topic = loaded.framework.competence(question.competence_id).name
    return translated(topic, language())


@bp.get("/attempts/<attempt_id>/questions")
@launch_required
def questions(attempt_id: str):
    """All questions of the attempt, answered or not, each a link to its page, by area."""
    attempt = own_attempt(attempt_id)
    if attempt.status is AttemptStatus.SUBMITTED:
        return redirect(url_for(".results", attempt_id=attempt.id), 303)
    loaded = attempt_instrument(attempt)
    answers = answers_of(db_session(), attempt.id)
    groups: list[tuple[str, list[tuple[int, str, bool]]]] = []
    for number, item in enumerate(loaded.instrument.items, start=1):
        area = loaded.framework.area(loaded.framework.competence(item.competence_id).area_id)
        name = translated(area.name, language())
        if not groups or groups[-1][0] != name:
            groups.append((name, []))
        groups[-1][1].append((number, _topic(loaded, item), item.id in answers))
    missing = unanswered(loaded, answers)
    return render_template(
        "assessment/questions.html",
        attempt=attempt,
        groups=groups,
        total=len(loaded.instrument.items),
        answered=len(answers),
        first_unanswered=missing[0][0] if missing else None,
        at=request.args.get("at", type=int),
        language=language(),
    )


@bp.get("/attempts/<attempt_id>/review")
@launch_required
def review(attempt_id: str):
    attempt = own_attempt(attempt_id)
    if attempt.status is AttemptStatus.SUBMITTED:
        return redirect(url_for(".results", attempt_id=attempt.id), 303)
    loaded = attempt_instrument(attempt)
    answers = answers_of(db_session(), attempt.id)
    missing = unanswered(loaded, answers)
    # What submitting now would give: how many competences would have no level.
    preview = score(loaded.instrument, loaded.framework, answers) if missing else None
    return render_template(
        "assessment/review.html",
        attempt=attempt,
        total=len(loaded.instrument.items),
        answered=len(answers),
        unanswered=missing,
        topics={item.id: _topic(loaded, item) for _, item in missing},
        with_overview=len(loaded.instrument.items) >= OVERVIEW_FROM,
        not_assessed=len(preview.not_assessed(loaded.framework)) if preview else 0,
        competence_count=len(loaded.framework.competences),
        nothing_assessed=preview is not None and not preview.finished,
        asked=request.args.get("unanswered") == "1",
        language=language(),
    )


@bp.post("/attempts/<attempt_id>/submit")
@launch_required
def submit(attempt_id: str):
    attempt = own_attempt(attempt_id)
    loaded = attempt_instrument(attempt)
    try:
        assessing.submit_attempt(
            db_session(),
            attempt,
            loaded,
            unanswered_confirmed=request.form.get("unanswered") == "submit-anyway",
            grade_comment=lambda result: _grade_comment(loaded, result),
            **_reporting(),
        )
    except AttemptRefused as refused:
        if refused.reason == "unanswered":  # not confirmed: show what is missing first
            return redirect(url_for(".review", attempt_id=attempt.id, unanswered=1), 303)
        return redirect(url_for(".results", attempt_id=attempt.id), 303)
    return redirect(url_for(".results", attempt_id=attempt.id), 303)


def _grade_comment(loaded: LoadedInstrument, result: AssessmentResult) -> str:
    """The gradebook shows this comment beside the number: the level in words."""
    level = level_name(loaded.framework, result.overall_level, language())
    not_assessed = len(result.not_assessed(loaded.framework))
    if not_assessed:
        return gettext(
            "Overall level: %(level)s. Not assessed: %(count)s of %(total)s competences "
            "(questions not answered).",
            level=level,
            count=not_assessed,
            total=len(loaded.framework.competences),
        )
    return gettext("Overall level: %(level)s", level=level)


@bp.post("/attempts/<attempt_id>/leave")
@launch_required
def leave(attempt_id: str):
    """The learner leaves the assessment: the button, or the page's beacon when it goes away.

    Both may arrive for one departure; the statement id (attempt and launch) keeps it one.
    A beacon gets an empty answer; the button goes back to the activity's start page.
    """
    attempt = own_attempt(attempt_id)
    loaded = attempt_instrument(attempt)
    assessing.leave_attempt(db_session(), attempt, loaded, **_reporting())
    if request.form.get("via") == "beacon":
        return "", 204
    return redirect(url_for("home.index", left=1), 303)


@bp.get("/attempts/<attempt_id>/results")
@launch_required
def results(attempt_id: str):
    attempt = own_attempt(attempt_id)
    if attempt.status is not AttemptStatus.SUBMITTED:
        return redirect(url_for(".review", attempt_id=attempt.id), 303)
    return results_page(attempt, language())
