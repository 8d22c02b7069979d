"""The yearly digital-maturity measurement: an organisation-level survey with its own framework.

Employees answer it like an assessment (a course link with `instrument=digital-maturity`),
but what is reported is the workplace, not the person: results are only ever shown as
averages per unit and year, and a group under the programme's minimum size is hidden.
Five areas (strategy, ways of working, skills, tools, culture), one question each,
answered on a five-step scale from "not at all" (0) to "fully" (4).

The programme's indicator "uses digital ways of working" is the answer to the
ways-of-working question (`DIGITAL_WAYS_ITEM`): a person counts when their latest
answer in the period is "to a large extent" or "fully" (level 3 or 4).
"""

from __future__ import annotations

import json
from functools import cache

from competence.frameworks import DATA, Framework, load_framework
from competence.instruments import Instrument, instrument_from_document

MATURITY_INSTRUMENT = "digital-maturity"
DIGITAL_WAYS_ITEM = "working-methods"
DIGITAL_WAYS_MIN_LEVEL = 3


@cache
def maturity_framework() -> Framework:
    return load_framework(DATA / "digital-maturity.json")


@cache
def maturity_document() -> dict:
    return json.loads((DATA / "instruments" / "digital-maturity.json").read_text(encoding="utf-8"))


@cache
def maturity_instrument() -> Instrument:
    return instrument_from_document(maturity_document(), maturity_framework())


def uses_digital_ways(answers: dict[str, str]) -> bool | None:
    """Whether these answers say the person works digitally; None when the item is unanswered."""
    item = maturity_instrument().item(DIGITAL_WAYS_ITEM)
    chosen = answers.get(DIGITAL_WAYS_ITEM)
    option = item.option(chosen) if chosen is not None else None
    if option is None:
        return None
    return option.level >= DIGITAL_WAYS_MIN_LEVEL
