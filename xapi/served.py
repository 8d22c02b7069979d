"""How a stored statement is handed to a reader: the Statement API and exports.

The statement store keeps each statement as the tool made it.  A reader gets
what an LRS would return: `stored` (when the tool stored it), `authority` (the
tool, which vouches for every statement it makes) and `version`, in one of
xAPI's three formats:

- exact: as stored;
- ids: agents and groups reduced to their identifier, activities to their id,
  verbs to their id (the smallest statement that still says who did what);
- canonical: every language map reduced to the one language the reader prefers.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime

from xapi.model import XAPI_VERSION

FORMATS = ("exact", "ids", "canonical")
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")

# Chooses one language tag out of a language map's tags (None: no preference among them).
LanguageChooser = Callable[[list[str]], str | None]


def tool_authority(public_url: str) -> dict:
    """The agent that vouches for the tool's statements: the tool under its public URL."""
    return {
        "objectType": "Agent",
        "name": "Kompetenslyft",
        "account": {"homePage": public_url.rstrip("/"), "name": "kompetenslyft"},
    }


def stored_timestamp(stored: datetime) -> str:
    """Microseconds kept: a client passing a statement's `stored` as `since` must not get it."""
    return stored.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def served(
    statement: dict,
    stored: datetime,
    authority: dict,
    statement_format: str = "exact",
    choose_language: LanguageChooser | None = None,
) -> dict:
    """A copy of the stored statement as a reader gets it; the stored one is left unchanged."""
    out = copy.deepcopy(statement)
    out["stored"] = stored_timestamp(stored)
    out["authority"] = copy.deepcopy(authority)
    out.setdefault("version", XAPI_VERSION)
    if statement_format == "ids":
        _reduce_to_ids(out)
    elif statement_format == "canonical":
        _reduce_languages(out, choose_language or (lambda tags: None))
    return out


def _reduce_to_ids(statement: dict) -> None:
    for name in ("actor", "authority"):
        if isinstance(statement.get(name), dict):
            statement[name] = _agent_ids(statement[name])
    if isinstance(statement.get("verb"), dict):
        statement["verb"] = {"id": statement["verb"].get("id")}
    statement["object"] = _object_ids(statement.get("object"))
    context = statement.get("context")
    if isinstance(context, dict):
        for name in ("instructor", "team"):
            if isinstance(context.get(name), dict):
                context[name] = _agent_ids(context[name])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            for kind, listed in activities.items():
                activities[kind] = [_object_ids(a) for a in _as_list(listed)]


def _agent_ids(agent: dict) -> dict:
    reduced = {name: agent[name] for name in ("objectType",) if name in agent}
    ifis = {name: agent[name] for name in _IFIS if agent.get(name)}
    if ifis:
        return reduced | ifis
    # An anonymous group is identified by its members.
    if isinstance(agent.get("member"), list):
        reduced["member"] = [_agent_ids(m) for m in agent["member"] if isinstance(m, dict)]
    return reduced


def _object_ids(obj):
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        return {name: obj[name] for name in ("objectType", "id") if name in obj}
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "SubStatement":
        _reduce_to_ids(obj)
    return obj


def _reduce_languages(statement: dict, choose: LanguageChooser) -> None:
    verb = statement.get("verb")
    if isinstance(verb, dict):
        _one_language(verb, "display", choose)
    for activity in _activities(statement):
        definition = activity.get("definition")
        if not isinstance(definition, dict):
            continue
        _one_language(definition, "name", choose)
        _one_language(definition, "description", choose)
        for components in ("choices", "scale", "source", "target", "steps"):
            for component in _as_list(definition.get(components)):
                if isinstance(component, dict):
                    _one_language(component, "description", choose)
    for attachment in _as_list(statement.get("attachments")):
        if isinstance(attachment, dict):
            _one_language(attachment, "display", choose)
            _one_language(attachment, "description", choose)
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        _reduce_languages(obj, choose)


def _activities(statement: dict) -> list[dict]:
    found = []
    obj = statement.get("object")
    if isinstance(obj, dict) and obj.get("objectType", "Activity") == "Activity":
        found.append(obj)
    context = statement.get("context")
    if isinstance(context, dict) and isinstance(context.get("contextActivities"), dict):
        for listed in context["contextActivities"].values():
            found.extend(a for a in _as_list(listed) if isinstance(a, dict))
    return found


def _one_language(holder: dict, name: str, choose: LanguageChooser) -> None:
    names = holder.get(name)
    if not isinstance(names, dict) or len(names) <= 1:
        return
    tags = list(names)
    chosen = choose(tags)
    tag = chosen if chosen in names else tags[0]
    holder[name] = {tag: names[tag]}


def _as_list(value) -> list:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
