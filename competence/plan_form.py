"""The development dialogue's form read into a plan version: targets, chosen learning
activities and own goals, or the problems that keep it from being saved.

Plain Python over the form's fields (a mapping with `get` and `getlist`, as Werkzeug's
MultiDict), so the rules are tested without a request; the page words each problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

GOAL_MAX = 500  # characters of one own goal
NEW_GOAL_ROWS = 3  # empty goal rows the form offers
# An id longer than this many digits is no database id (PostgreSQL's integer tops at 2^31 - 1).
ID_DIGITS = 10

# What keeps a form from being saved (Problem.code).
TARGET_NOT_A_LEVEL = "target_not_a_level"
ACTIVITY_NOT_OFFERED = "activity_not_offered"
GOAL_TOO_LONG = "goal_too_long"
GOAL_WITHOUT_DATE = "goal_without_date"


class Form(Protocol):
    def get(self, key: str, default: str = "") -> str: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Problem:
    code: str
    competence: str = ""  # TARGET_NOT_A_LEVEL: the competence's label
    goal: str = ""  # GOAL_WITHOUT_DATE: the goal's first 60 characters


def parse_plan_form(
    form: Form,
    *,
    competences: Iterable[tuple[str, str]],
    max_level: int,
    offered: Mapping[int, str],
    previous_items: Iterable[dict],
) -> tuple[dict[str, int], list[dict], list[Problem]]:
    """(targets, items, problems) from the dialogue's form.

    `competences` are the rows shown, (id, label); `offered` maps each learning activity
    the form offered to its competence; `previous_items` are the latest version's, so a new
    goal takes the next free key (`g:<n>`) and a kept goal its own."""
    problems: list[Problem] = []
    targets: dict[str, int] = {}
    for competence_id, label in competences:
        raw = form.get(f"target-{competence_id}", "").strip()
        if not raw:
            continue
        target = _number(raw, len(str(max_level)))
        if target is None or target > max_level:
            problems.append(Problem(TARGET_NOT_A_LEVEL, competence=label))
            continue
        targets[competence_id] = target
    items: list[dict] = []
    for value in form.getlist("activity"):
        competence, _, activity_id = value.partition(":")
        number = _number(activity_id, ID_DIGITS)
        if number is None or offered.get(number) is None:
            problems.append(Problem(ACTIVITY_NOT_OFFERED))
            continue
        key = f"a:{activity_id}"
        if any(item["key"] == key for item in items):
            continue
        due = parse_date(form.get(f"due-{activity_id}", ""))
        items.append({"key": key, "activity_id": number, "competence": competence, "due": due})
    next_goal = 1 + max([int(i["key"][2:]) for i in previous_items if i.get("goal")] + [0])
    goal_rows = [
        (key, form.get(f"goal-{key}", ""), form.get(f"goal-due-{key}", ""))
        for key in form.getlist("goal-key")
        if re.fullmatch(r"g:\d+", key)
    ]
    goal_rows += [
        (None, form.get(f"new-goal-{n}", ""), form.get(f"new-goal-due-{n}", ""))
        for n in range(NEW_GOAL_ROWS)
    ]
    for key, text, due_text in goal_rows:
        text = text.strip()
        if not text:
            continue
        due = parse_date(due_text)
        if len(text) > GOAL_MAX:
            problems.append(Problem(GOAL_TOO_LONG))
            continue
        if due is None:
            problems.append(Problem(GOAL_WITHOUT_DATE, goal=text[:60]))
            continue
        if key is None:
            key = f"g:{next_goal}"
            next_goal += 1
        items.append({"key": key, "goal": text, "due": due})
    return targets, items, problems


def parse_date(text: str) -> str | None:
    """A year-month-day date as ISO text, or None when it is not one."""
    text = (text or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _number(text: str, digits: int) -> int | None:
    """Plain ASCII digits, at most `digits` of them ("²" is a digit int() refuses)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > digits:
        return None
    return int(text)
