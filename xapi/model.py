"""A small typed model of xAPI 1.0.3 statements: only what the tool emits.

Each class turns into the statement's JSON with `to_json()`: properties that are
None are left out (xAPI forbids empty values outside extensions).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

XAPI_VERSION = "1.0.3"
LanguageMap = dict[str, str]


_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once
_PLAIN = (str, int, float, bool, type(None))


def _json(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELDS.get(kind)
    if names is None:
        if is_dataclass(value) and not isinstance(value, type):
            names = _FIELDS[kind] = tuple(spec.name for spec in fields(value))
        elif isinstance(value, dict):
            return {key: _json(item) for key, item in value.items()}
        elif isinstance(value, list | tuple):
            return [_json(item) for item in value]
        else:
            return value
    out = {}
    for name in names:
        item = getattr(value, name)
        if item is not None:
            out[name] = _json(item)
    return out


class _Part:
    def to_json(self) -> dict:
        return _json(self)


@dataclass(frozen=True)
class Account(_Part):
    homePage: str  # noqa: N815 - xAPI's own names
    name: str


@dataclass(frozen=True)
class Agent(_Part):
    """A learner: identified by exactly one of account or mbox (xAPI allows one identifier)."""

    account: Account | None = None
    name: str | None = None
    mbox: str | None = None  # "mailto:..."
    objectType: str = "Agent"  # noqa: N815

    def __post_init__(self) -> None:
        if (self.account is None) == (self.mbox is None):
            raise ValueError("an Agent needs exactly one of account and mbox")


@dataclass(frozen=True)
class Verb(_Part):
    id: str
    display: LanguageMap


@dataclass(frozen=True)
class InteractionComponent(_Part):
    id: str
    description: LanguageMap | None = None


@dataclass(frozen=True)
class ActivityDefinition(_Part):
    type: str
    name: LanguageMap | None = None
    description: LanguageMap | None = None
    interactionType: str | None = None  # noqa: N815
    choices: list[InteractionComponent] | None = None
    correctResponsesPattern: list[str] | None = None  # noqa: N815


@dataclass(frozen=True)
class Activity(_Part):
    id: str
    definition: ActivityDefinition | None = None
    objectType: str = "Activity"  # noqa: N815


@dataclass(frozen=True)
class Score(_Part):
    raw: float
    min: float
    max: float
    scaled: float


@dataclass(frozen=True)
class Result(_Part):
    score: Score | None = None
    success: bool | None = None
    completion: bool | None = None
    response: str | None = None
    duration: str | None = None  # ISO 8601, see iso_duration
    extensions: dict[str, Any] | None = None


@dataclass(frozen=True)
class ContextActivities(_Part):
    parent: list[Activity] | None = None
    grouping: list[Activity] | None = None


@dataclass(frozen=True)
class Context(_Part):
    registration: str | None = None
    contextActivities: ContextActivities | None = None  # noqa: N815
    revision: str | None = None
    platform: str | None = None
    language: str | None = None
    extensions: dict[str, Any] | None = None


@dataclass(frozen=True)
class Statement(_Part):
    id: str
    actor: Agent
    verb: Verb
    object: Activity
    timestamp: str
    result: Result | None = None
    context: Context | None = None
    version: str = XAPI_VERSION


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. 2026-01-02T03:04:05.678Z."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(span: timedelta) -> str:
    """An ISO 8601 duration in hours, minutes and seconds to 0.01 s (what xAPI keeps)."""
    hundredths = max(0, round(span.total_seconds() * 100))
    hours, rest = divmod(hundredths, 360000)
    minutes, rest = divmod(rest, 6000)
    seconds, fraction = divmod(rest, 100)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if seconds or fraction or text == "PT":
        text += f"{seconds}.{fraction:02d}S" if fraction else f"{seconds}S"
    return text
