"""One statement per learner event: attempt started, item answered, attempt submitted.

Statement ids are uuid5 of the event's natural key, so building the same event
twice gives the same id and a resend is a no-op at an LRS:

- initialized: ("initialized", attempt id) - resuming an attempt is not a new event;
- answered: ("answered", attempt id, item id, answered-at to the microsecond) - answering a
  question again (changing the answer) is a new event with its own id;
- completed: ("completed", attempt id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from competence.frameworks import Framework
from competence.instruments import Instrument, Item
from competence.scoring import AssessmentResult
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
    score = None
    if result.overall_value is not None:
        score = Score(
            raw=round(result.overall_value, 4),
            min=0,
            max=result.max_level,
            scaled=round(result.score, 4),
        )
    return Statement(
        id=statement_id("completed", attempt_id),
        actor=_actor(where),
        verb=vocabulary.COMPLETED,
        object=_instrument_activity(where, instrument),
        timestamp=iso_timestamp(submitted_at),
        result=Result(
            score=score, completion=True, duration=iso_duration(submitted_at - started_at)
        ),
        context=_context(where, attempt_id, instrument, framework),
    )


def _actor(where: Where) -> Agent:
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
