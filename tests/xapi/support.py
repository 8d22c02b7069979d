"""Checking statements: valid xAPI (ralph's models) and documented in the tool's profile."""

from __future__ import annotations

from ralph.models.xapi.base.statements import BaseXapiStatement

from xapi.profile import documented_iris


def validate(statement: dict) -> None:
    """Raises pydantic's ValidationError when the statement is not valid xAPI."""
    BaseXapiStatement.model_validate(statement)


def used_iris(statement: dict) -> dict[str, set[str]]:
    """The verb, activity type and extension IRIs a statement uses."""
    activities = [statement["object"]]
    context = statement.get("context", {})
    for kind in ("parent", "grouping", "category", "other"):
        activities += context.get("contextActivities", {}).get(kind, [])
    return {
        "Verb": {statement["verb"]["id"]},
        "ActivityType": {a["definition"]["type"] for a in activities if "definition" in a},
        "ContextExtension": set(context.get("extensions", {})),
        "ResultExtension": set(statement.get("result", {}).get("extensions", {})),
    }


def undocumented(statement: dict, public_url: str) -> dict[str, set[str]]:
    documented = documented_iris(public_url)
    missing = {
        kind: iris - documented.get(kind, set()) for kind, iris in used_iris(statement).items()
    }
    return {kind: iris for kind, iris in missing.items() if iris}
