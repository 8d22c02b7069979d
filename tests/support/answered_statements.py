"""Realistic "answered" xAPI statements in bulk, as the assessment's item pages record them:
for the forwarding tests and the xAPI benchmark alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from competence.frameworks import digcomp
from competence.instruments import Instrument, shipped_instruments
from xapi import statements
from xapi.model import Statement

STARTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PUBLIC_URL = "https://kompetenslyft.example.se"


def where_of(learner: str, public_url: str = PUBLIC_URL) -> statements.Where:
    """A learner launched from Umeå's Moodle, in Swedish."""
    return statements.Where(
        public_url=public_url,
        issuer="https://moodle.umea.example.se",
        subject=learner,
        deployment_id="1",
        language="sv",
    )


def answered_statements(
    count: int,
    learner: str,
    *,
    per_attempt: int,
    instrument: Instrument | None = None,
    public_url: str = PUBLIC_URL,
) -> list[Statement]:
    """`count` distinct answered statements, `per_attempt` to an attempt, a second apart."""
    instrument = instrument or shipped_instruments()["digcomp-2.2-full"]
    where, framework, items = where_of(learner, public_url), digcomp(), instrument.items
    made = []
    for number in range(count):
        item = items[number % len(items)]
        made.append(
            statements.item_answered(
                where,
                attempt_id=str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"{learner}/{number // per_attempt}")
                ),
                answered_at=STARTED + timedelta(seconds=number),
                instrument=instrument,
                framework=framework,
                item=item,
                option_id=item.options[number % len(item.options)].id,
            )
        )
    return made
