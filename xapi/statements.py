"""One statement per learner event: attempt started, item answered, attempt submitted,
passed or failed, competence levels reached, the learner leaving.

Statement ids are uuid5 of the event's natural key, so building the same event
twice gives the same id and a resend is a no-op at an LRS:

- initialized: ("initialized", attempt id) - resuming an attempt is not a new event;
- answered: ("answered", attempt id, item id, answered-at to the microsecond) - answering a
  question again (changing the answer) is a new event with its own id;
- completed: ("completed", attempt id);
- passed or failed: ("passed-or-failed", attempt id) - one judgement per attempt, never both;
- scored: ("scored", attempt id, competence id) - one level per assessed competence;
- terminated: ("terminated", attempt id, launch id) - leaving is told by a button and by
  the browser when the page goes away, often both: once per attempt and launch;
- plan item completed: ("plan-item-completed", plan id, item key) - an item of a
  development plan is done once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from competence.frameworks import Framework
from competence.instruments import Instrument, Item, plain_topic
from competence.scoring import AssessmentResult, CompetenceResult
from xapi import vocabulary
from xapi.model import (
    Account,
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    ContextActivities,
    InteractionComponent,
    Result,
    Score,
    Statement,
    iso_duration,
    iso_timestamp,
)
from xapi.vocabulary import Vocabulary

# The namespace of every statement id the tool makes (uuid5 of the natural key).
STATEMENT_NAMESPACE = uuid.UUID("6f1d3c2e-4b7a-5e08-9c3d-2a5b8e7f0c41")


@dataclass(frozen=True)
class Where:
    """Who did it and where: the LTI launch's identities, as the tool stored them."""

    public_url: str
    issuer: str  # the platform's issuer: the actor's account homePage
    subject: str  # the LTI subject: the actor's account name (pseudonymous)
    deployment_id: str
    language: str
    context_row_id: int | None = None
    lti_context_id: str | None = None
    context_title: str | None = None
    resource_link_row_id: int | None = None
    lti_resource_link_id: str | None = None
    resource_link_title: str | None = None
    # The actor in the organisation's actor mode (xapi.actors); None: the LTI account.
    actor: Agent | None = None


def statement_id(*natural_key: str) -> str:
    return str(uuid.uuid5(STATEMENT_NAMESPACE, "\x1f".join(natural_key)))


def attempt_started(
    where: Where,
    *,
    attempt_id: str,
    started_at: datetime,
    instrument: Instrument,
    framework: Framework,
) -> Statement:
    return Statement(
        id=statement_id("initialized", attempt_id),
        actor=_actor(where),
        verb=vocabulary.INITIALIZED,
        object=_instrument_activity(where, instrument),
        timestamp=iso_timestamp(started_at),
        context=_context(where, attempt_id, instrument, framework),
    )


def item_answered(
    where: Where,
    *,
    attempt_id: str,
    answered_at: datetime,
    instrument: Instrument,
    framework: Framework,
    item: Item,
    option_id: str,
) -> Statement:
    success = None
    option = item.option(option_id)
    if item.kind == "knowledge" and option is not None and not option.dont_know:
        # "I don't know" is no evidence either way (as in scoring): no success claimed.
        success = option_id == item.correct
    return Statement(
        id=statement_id("answered", attempt_id, item.id, answered_at.astimezone(UTC).isoformat()),
        actor=_actor(where),
        verb=vocabulary.ANSWERED,
        object=_item_activity(where, instrument, item),
        timestamp=iso_timestamp(answered_at),
        result=Result(response=option_id, success=success),
        context=_context(
            where,
            attempt_id,
            instrument,
            framework,
            parent=_instrument_activity(where, instrument),
        ),
    )


def attempt_submitted(
    where: Where,
    *,
    attempt_id: str,
    started_at: datetime,
    submitted_at: datetime,
    instrument: Instrument,
    framework: Framework,
    result: AssessmentResult,
) -> Statement:
    return Statement(
        id=statement_id("completed", attempt_id),
        actor=_actor(where),
        verb=vocabulary.COMPLETED,
        object=_instrument_activity(where, instrument),
        timestamp=iso_timestamp(submitted_at),
        result=Result(
            score=_overall_score(result),
            completion=True,
            duration=iso_duration(submitted_at - started_at),
        ),
        context=_context(where, attempt_id, instrument, framework),
    )


def passed(result: AssessmentResult, pass_mark: float) -> bool:
    """At or above the pass mark, compared as the LRS sees it: the scaled score to 4 decimals.

    Nothing assessed (no overall value) is no evidence of passing.
    """
    return result.overall_value is not None and round(result.score, 4) >= pass_mark


def attempt_judged(
    where: Where,
    *,
    attempt_id: str,
    submitted_at: datetime,
    instrument: Instrument,
    framework: Framework,
    result: AssessmentResult,
) -> Statement | None:
    """Passed or failed against the instrument's pass mark; None when it has none."""
    if instrument.pass_mark is None:
        return None
    success = passed(result, instrument.pass_mark)
    iris = Vocabulary(where.public_url)
    return Statement(
        id=statement_id("passed-or-failed", attempt_id),
        actor=_actor(where),
        verb=vocabulary.PASSED if success else vocabulary.FAILED,
        object=_instrument_activity(where, instrument),
        timestamp=iso_timestamp(submitted_at),
        result=Result(
            score=_overall_score(result),
            success=success,
            completion=True,
            extensions={iris.pass_mark: instrument.pass_mark},
        ),
        context=_context(where, attempt_id, instrument, framework),
    )


def competence_levels_reached(
    where: Where,
    *,
    attempt_id: str,
    submitted_at: datetime,
    instrument: Instrument,
    framework: Framework,
    result: AssessmentResult,
) -> list[Statement]:
    """One "scored" statement per assessed competence, in the framework's order."""
    return [
        _competence_scored(
            where,
            attempt_id=attempt_id,
            submitted_at=submitted_at,
            instrument=instrument,
            framework=framework,
            reached=result.competences[competence.id],
            max_level=result.max_level,
        )
        for competence in framework.competences
        if competence.id in result.competences
    ]


def attempt_left(
    where: Where,
    *,
    attempt_id: str,
    launch_id: str,
    left_at: datetime,
    instrument: Instrument,
    framework: Framework,
) -> Statement:
    """The learner left the assessment (a button, or the browser leaving the page)."""
    return Statement(
        id=statement_id("terminated", attempt_id, launch_id),
        actor=_actor(where),
        verb=vocabulary.TERMINATED,
        object=_instrument_activity(where, instrument),
        timestamp=iso_timestamp(left_at),
        context=_context(where, attempt_id, instrument, framework),
    )


def plan_item_completed(
    where: Where,
    *,
    plan_id: int,
    item_key: str,
    title: str,
    completed_at: datetime,
) -> Statement:
    """The employee ticked off an item of their development plan (an activity or own goal)."""
    iris = Vocabulary(where.public_url)
    extensions = {iris.lti_issuer: where.issuer, iris.lti_deployment_id: where.deployment_id}
    if _actor(where).account is None:
        extensions[iris.lti_account] = {"homePage": where.issuer, "name": where.subject}
    return Statement(
        id=statement_id("plan-item-completed", str(plan_id), item_key),
        actor=_actor(where),
        verb=vocabulary.COMPLETED,
        object=Activity(
            id=iris.plan_item(plan_id, item_key),
            definition=ActivityDefinition(
                type=iris.plan_item_type, name=_names({where.language: title})
            ),
        ),
        timestamp=iso_timestamp(completed_at),
        result=Result(completion=True),
        context=Context(
            platform=vocabulary.PLATFORM, language=where.language, extensions=extensions
        ),
    )


# Level 0 is "not yet at the first level": the scale itself has no name for it.
NOT_YET_AT_LEVEL_1 = {"sv": "Ännu inte nivå 1", "en": "Not yet at level 1"}


def _competence_scored(
    where: Where,
    *,
    attempt_id: str,
    submitted_at: datetime,
    instrument: Instrument,
    framework: Framework,
    reached: CompetenceResult,
    max_level: int,
) -> Statement:
    iris = Vocabulary(where.public_url)
    competence = framework.competence(reached.competence_id)
    level = framework.scale.level(reached.level)
    level_name = _names(level.name) if level is not None else None
    if reached.level == 0:
        level_name = NOT_YET_AT_LEVEL_1
    return Statement(
        id=statement_id("scored", attempt_id, competence.id),
        actor=_actor(where),
        verb=vocabulary.SCORED,
        object=Activity(
            id=iris.competence(framework.id, competence.id),
            definition=ActivityDefinition(
                type=iris.competence_type,
                name=_names({lang: competence.label(lang) for lang in competence.name}),
                description=_names(competence.description),
            ),
        ),
        timestamp=iso_timestamp(submitted_at),
        result=Result(
            score=Score(
                raw=reached.level,
                min=0,
                max=max_level,
                scaled=round(reached.level / max_level, 4),
            ),
            extensions={iris.level_name: level_name or {"en": str(reached.level)}},
        ),
        context=_context(
            where,
            attempt_id,
            instrument,
            framework,
            parent=_instrument_activity(where, instrument),
        ),
    )


def _overall_score(result: AssessmentResult) -> Score | None:
    if result.overall_value is None:
        return None
    return Score(
        raw=round(result.overall_value, 4),
        min=0,
        max=result.max_level,
        scaled=round(result.score, 4),
    )


def _actor(where: Where) -> Agent:
    if where.actor is not None:
        return where.actor
    return Agent(account=Account(homePage=where.issuer, name=where.subject))


def _names(text) -> dict[str, str] | None:
    names = {language: value for language, value in text.items() if value and value.strip()}
    return names or None


def _instrument_activity(where: Where, instrument: Instrument) -> Activity:
    return Activity(
        id=Vocabulary(where.public_url).instrument(instrument.id),
        definition=ActivityDefinition(
            type=vocabulary.ASSESSMENT,
            name=_names(instrument.name),
            description=_names(instrument.description),
        ),
    )


def _item_activity(where: Where, instrument: Instrument, item: Item) -> Activity:
    return Activity(
        id=Vocabulary(where.public_url).item(instrument.id, item.id),
        definition=ActivityDefinition(
            type=vocabulary.INTERACTION,
            # The plain name shown above the question (an LRS lists items by it).
            name=_names(plain_topic(instrument, item)),
            description=_names(item.text),
            interactionType="choice",
            choices=[
                InteractionComponent(id=option.id, description=_names(option.text))
                for option in item.options
            ],
            correctResponsesPattern=[item.correct] if item.kind == "knowledge" else None,
        ),
    )


def _context(
    where: Where,
    attempt_id: str,
    instrument: Instrument,
    framework: Framework,
    parent: Activity | None = None,
) -> Context:
    iris = Vocabulary(where.public_url)
    parents = [parent] if parent is not None else []
    grouping = [
        Activity(
            id=iris.framework(framework.id),
            definition=ActivityDefinition(type=iris.framework_type, name=_names(framework.name)),
        )
    ]
    extensions = {iris.lti_issuer: where.issuer, iris.lti_deployment_id: where.deployment_id}
    if _actor(where).account is None:
        # An identified actor (mbox) can carry no account: the LTI account travels here, so
        # statements of one person stay joinable whatever the organisation's actor mode was.
        extensions[iris.lti_account] = {"homePage": where.issuer, "name": where.subject}
    if where.resource_link_row_id is not None:
        parents.append(
            Activity(
                id=iris.resource_link(where.resource_link_row_id),
                definition=ActivityDefinition(
                    type=iris.resource_link_type,
                    name=_names({where.language: where.resource_link_title or ""}),
                ),
            )
        )
        extensions[iris.lti_resource_link_id] = where.lti_resource_link_id
    if where.context_row_id is not None:
        grouping.insert(
            0,
            Activity(
                id=iris.course(where.context_row_id),
                definition=ActivityDefinition(
                    type=vocabulary.COURSE,
                    name=_names({where.language: where.context_title or ""}),
                ),
            ),
        )
        extensions[iris.lti_context_id] = where.lti_context_id
    return Context(
        registration=attempt_id,
        contextActivities=ContextActivities(parent=parents or None, grouping=grouping),
        revision=instrument.version,
        platform=vocabulary.PLATFORM,
        language=where.language,
        extensions=extensions,
    )
