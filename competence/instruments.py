"""Instruments: the items a person answers about a framework's competences.

Three kinds of item, all multiple choice so that every answer is one option id:

- `self_rating`: an "I can ..." statement answered on a shared response scale
  (e.g. "No, not yet" ... "Yes, and I can guide others"); each item says which
  proficiency level each option implies (`levels`, never decreasing), so a
  simple task and a demanding one can share one scale.
- `knowledge`: a question with one correct option.
- `level_choice`: pick the description that fits you; each option is a level
  (the per-work-system model: basic, intermediate, advanced, expert).

Document format (JSON):

    {"id": "digcomp-2.2-short", "framework": "digcomp-2.2", "version": "1",
     "name": {...}, "description": {...}, "estimated_minutes": 5, "pass_mark": 0.5,
     "response_scales": {"autonomy": {"options": [{"id": "not_yet", "text": {...}}, ...]}},
     "items": [
       {"id": "1.1-a", "competence": "1.1", "kind": "self_rating", "scale": "autonomy",
        "levels": [0, 1, 3, 5, 7], "text": {"sv": "Jag kan ...", "en": "I can ..."},
        "topic": {"sv": "Söka information", "en": "Searching for information"}},
       {"id": "1.1-k", "competence": "1.1", "kind": "knowledge", "text": {...},
        "options": [{"id": "a", "text": {...}}, ...], "correct": "b"},
       {"id": "mail", "competence": "email", "kind": "level_choice", "text": {...},
        "options": [{"id": "none", "text": {...}, "level": 0}, ...]}]}

`topic` is optional: a short plain name of what the item asks, shown above the question
(the competence's official name can mislead: "Programming" above a question about an
e-mail rule). Without one the page shows the competence's name (`plain_topic`).

`pass_mark` is optional: the overall value as a share of the scale's top level
(0 to 1, the same scaled score the gradebook gets) that counts as passed, e.g. 0.5
for level 4 of 8. With a pass mark, submitting also tells the LRS passed or failed
(xAPI); without one, an assessment is neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from competence.frameworks import DATA, Framework, _identifier, digcomp
from competence.texts import DocumentError, Text, require_text

KINDS = ("self_rating", "knowledge", "level_choice")


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    level: int | None = None  # the level this option implies (self_rating, level_choice)
    # "I don't know" to a knowledge question: no evidence either way, scored like no answer,
    # so an honest answer never costs more than skipping the question.
    dont_know: bool = False


@dataclass(frozen=True)
class Item:
    id: str
    competence_id: str
    kind: str
    text: Text
    options: tuple[Option, ...]
    correct: str | None = None
    help: Text = field(default_factory=dict)
    topic: Text = field(default_factory=dict)  # plain name of what it asks, see the docstring

    def option(self, option_id: str) -> Option | None:
        return next((option for option in self.options if option.id == option_id), None)


@dataclass(frozen=True)
class Instrument:
    id: str
    framework_id: str
    version: str
    name: Text
    items: tuple[Item, ...]
    description: Text = field(default_factory=dict)
    estimated_minutes: int | None = None
    pass_mark: float | None = None  # scaled 0..1, see the module docstring

    def item(self, item_id: str) -> Item | None:
        return next((item for item in self.items if item.id == item_id), None)

    def position_of(self, item_id: str) -> int:
        return next(i for i, item in enumerate(self.items) if item.id == item_id)


def instrument_from_document(document: object, framework: Framework) -> Instrument:
    """Validate an instrument against its framework; DocumentError says what is wrong."""
    if not isinstance(document, dict):
        raise DocumentError("instrument: must be a JSON object")
    instrument_id = _identifier(document.get("id"), "instrument.id")
    if document.get("framework") != framework.id:
        raise DocumentError(
            f"instrument.framework: {document.get('framework')!r} is not {framework.id!r}"
        )
    scales = _response_scales(document.get("response_scales") or {})
    competence_ids = {c.id for c in framework.competences}
    items_doc = document.get("items")
    if not isinstance(items_doc, list) or not items_doc:
        raise DocumentError("instrument.items: needs at least one item")
    items: list[Item] = []
    seen: set[str] = set()
    for i, item_doc in enumerate(items_doc):
        where = f"items[{i}]"
        if not isinstance(item_doc, dict):
            raise DocumentError(f"{where}: must be an object")
        item_id = _identifier(item_doc.get("id"), f"{where}.id")
        if item_id in seen:
            raise DocumentError(f"{where}.id: {item_id!r} is used twice")
        seen.add(item_id)
        competence_id = item_doc.get("competence")
        if competence_id not in competence_ids:
            raise DocumentError(f"{where}.competence: {competence_id!r} is not in the framework")
        kind = item_doc.get("kind")
        if kind not in KINDS:
            raise DocumentError(f"{where}.kind: must be one of {', '.join(KINDS)}")
        options = _options(item_doc, kind, scales, framework.scale.max_level, where)
        correct = item_doc.get("correct") if kind == "knowledge" else None
        if kind == "knowledge" and correct not in {o.id for o in options if not o.dont_know}:
            raise DocumentError(f"{where}.correct: must be the id of one of its answer options")
        items.append(
            Item(
                id=item_id,
                competence_id=competence_id,
                kind=kind,
                text=require_text(item_doc.get("text"), f"{where}.text"),
                options=options,
                correct=correct,
                help={} if not item_doc.get("help") else require_text(item_doc["help"], where),
                topic={}
                if not item_doc.get("topic")
                else require_text(item_doc["topic"], f"{where}.topic"),
            )
        )
    minutes = document.get("estimated_minutes")
    return Instrument(
        id=instrument_id,
        framework_id=framework.id,
        version=str(document.get("version") or "1"),
        name=require_text(document.get("name"), "instrument.name"),
        description={}
        if not document.get("description")
        else require_text(document["description"], "instrument.description"),
        estimated_minutes=minutes if isinstance(minutes, int) else None,
        pass_mark=_pass_mark(document.get("pass_mark")),
        items=tuple(items),
    )


def _pass_mark(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise DocumentError(
            f"instrument.pass_mark: {value!r} is not a share from 0 to 1 of the scale's top "
            "level (e.g. 0.5 passes from half the top level)"
        )
    return float(value)


def _response_scales(document: object) -> dict[str, tuple[tuple[str, Text], ...]]:
    if not isinstance(document, dict):
        raise DocumentError("instrument.response_scales: must be an object")
    scales = {}
    for name, scale in document.items():
        options = scale.get("options") if isinstance(scale, dict) else None
        if (
            not isinstance(options, list)
            or len(options) < 2
            or not all(isinstance(o, dict) for o in options)
        ):
            raise DocumentError(f"response_scales.{name}.options: needs at least two options")
        scales[name] = tuple(
            (
                _identifier(o.get("id"), f"response_scales.{name}.options[{i}].id"),
                require_text(o.get("text"), f"response_scales.{name}.options[{i}].text"),
            )
            for i, o in enumerate(options)
        )
    return scales


def _options(item_doc: dict, kind: str, scales: dict, max_level: int, where: str):
    if kind == "self_rating":
        scale = scales.get(item_doc.get("scale"))
        if scale is None:
            raise DocumentError(f"{where}.scale: names no response scale of the instrument")
        levels = item_doc.get("levels")
        if not isinstance(levels, list) or len(levels) != len(scale):
            raise DocumentError(f"{where}.levels: needs one level for each of the scale's options")
        _check_levels(levels, max_level, f"{where}.levels")
        return tuple(
            Option(id=option_id, text=text, level=level)
            for (option_id, text), level in zip(scale, levels, strict=True)
        )
    options_doc = item_doc.get("options")
    if not isinstance(options_doc, list) or len(options_doc) < 2:
        raise DocumentError(f"{where}.options: needs at least two options")
    options = []
    for i, option_doc in enumerate(options_doc):
        owhere = f"{where}.options[{i}]"
        if not isinstance(option_doc, dict):
            raise DocumentError(f"{owhere}: must be an object")
        options.append(
            Option(
                id=_identifier(option_doc.get("id"), f"{owhere}.id"),
                text=require_text(option_doc.get("text"), f"{owhere}.text"),
                level=option_doc.get("level") if kind == "level_choice" else None,
                dont_know=kind == "knowledge" and option_doc.get("dont_know") is True,
            )
        )
    if len({option.id for option in options}) != len(options):
        raise DocumentError(f"{where}.options: option ids must differ")
    if kind == "level_choice":
        _check_levels([option.level for option in options], max_level, f"{where}.options")
    return tuple(options)


def _check_levels(levels: list, max_level: int, where: str) -> None:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in levels):
        raise DocumentError(f"{where}: levels are whole numbers")
    if any(not 0 <= v <= max_level for v in levels):
        raise DocumentError(f"{where}: levels go from 0 (not yet) to {max_level}")
    if any(later < earlier for earlier, later in zip(levels, levels[1:], strict=False)):
        # A higher answer must never mean a lower level.
        raise DocumentError(f"{where}: levels may not decrease from one option to the next")


def load_instrument(path: Path, framework: Framework) -> Instrument:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DocumentError(f"{path.name}: not valid JSON ({error})") from error
    return instrument_from_document(document, framework)


@cache
def shipped_documents() -> dict[str, dict]:
    """The documents of the DigComp instruments that come with the tool, by id."""
    documents = (
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((DATA / "instruments").glob("digcomp-*.json"))
    )
    return {document["id"]: document for document in documents}


@cache
def shipped_instruments() -> dict[str, Instrument]:
    """The DigComp instruments that come with the tool, by id."""
    framework = digcomp()
    return {
        instrument_id: instrument_from_document(document, framework)
        for instrument_id, document in shipped_documents().items()
    }


@cache
def _shipped_topics() -> dict[tuple[str, str], Text]:
    """(instrument id, item id) -> topic, from every instrument document shipped with the tool."""
    topics = {}
    for path in sorted((DATA / "instruments").glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for item in document.get("items", []):
            if item.get("topic"):
                topics[document["id"], item["id"]] = item["topic"]
    return topics


def plain_topic(instrument: Instrument, item: Item) -> Text:
    """The plain name shown above a question: the item's own topic; for an item of an older
    stored version of a shipped instrument (started before topics came), the topic the
    shipped version gives the same item; else empty (the page shows the competence's name)."""
    return item.topic or _shipped_topics().get((instrument.id, item.id), {})
