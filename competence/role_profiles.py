"""Role profiles: the target level per competence for a role (yrkesroll), and the starting
points the tool ships for common municipal roles.

The starting points (`data/role-profiles.json`, documented in docs/role-profiles.md) set a
level of DigComp 2.2 for each of its 21 competences, with a sentence on why.  They are
starting points only: an organisation copies one, renames it and changes its levels on its
role profile page; the development dialogue offers the organisation's profiles first.

`targets_from_form` reads the levels of the editing form; plain Python over the form's
fields, so the rules are tested without a request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from competence.frameworks import DATA

NAME_MAX = 100  # characters of a profile's name in each language


@dataclass(frozen=True)
class StartingPoint:
    key: str
    framework_key: str
    name: dict[str, str]
    targets: dict[str, int]
    why: dict[str, str] = field(default_factory=dict)
    starting_point: bool = True


@cache
def _document() -> dict:
    return json.loads((DATA / "role-profiles.json").read_text(encoding="utf-8"))


def starting_points() -> list[StartingPoint]:
    """The shipped starting points, in the order the file lists them."""
    document = _document()
    return [
        StartingPoint(
            key=entry["key"],
            framework_key=document["framework"],
            name=dict(entry["name"]),
            targets=dict(entry["targets"]),
            why=dict(entry.get("why", {})),
        )
        for entry in document["profiles"]
    ]


def about() -> dict[str, str]:
    """What the starting points are, in Swedish and English."""
    return dict(_document()["about"])


def starting_point(key: str) -> StartingPoint | None:
    return next((p for p in starting_points() if p.key == key), None)


@dataclass(frozen=True)
class ProfileProblems:
    names_missing: bool = False
    name_too_long: bool = False
    bad_levels: tuple[str, ...] = ()  # competence ids whose level is not 1..max
    no_targets: bool = False

    def __bool__(self) -> bool:
        return self.names_missing or self.name_too_long or bool(self.bad_levels) or self.no_targets


def profile_from_form(
    form: Mapping[str, str], competence_ids: Iterable[str], max_level: int
) -> tuple[dict[str, str], dict[str, int], ProfileProblems]:
    """(name per language, targets, problems) from the role profile form: fields `name-sv`,
    `name-en` and `target-<competence id>` (empty: the profile does not cover it)."""
    names = {lang: (form.get(f"name-{lang}") or "").strip() for lang in ("sv", "en")}
    names = {lang: text for lang, text in names.items() if text}
    targets: dict[str, int] = {}
    bad = []
    for competence_id in competence_ids:
        raw = (form.get(f"target-{competence_id}") or "").strip()
        if not raw:
            continue
        digits = len(str(max_level))
        if not (raw.isascii() and raw.isdigit() and len(raw) <= digits) or not (
            1 <= int(raw) <= max_level
        ):
            bad.append(competence_id)
            continue
        targets[competence_id] = int(raw)
    problems = ProfileProblems(
        names_missing=not names,
        name_too_long=any(len(text) > NAME_MAX for text in names.values()),
        bad_levels=tuple(bad),
        no_targets=not targets and not bad,
    )
    return names, targets, problems
