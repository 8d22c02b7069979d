"""Competence frameworks: areas, competences and a proficiency scale, with translations.

The document format (JSON) is the same for DigComp 2.2 and for an organisation's
own frameworks, e.g. one "competence" per work system on four levels:

    {"id": "digcomp-2.2", "version": "2.2", "name": {"sv": ..., "en": ...},
     "source": {"title": ..., "url": ...}, "licence": "CC-BY-4.0",
     "attribution": {"sv": ..., "en": ...},
     "scale": {"levels": [{"value": 1, "name": {...}, "group": "foundation"}, ...],
               "groups": [{"id": "foundation", "name": {...}}, ...]},
     "areas": [{"id": "1", "name": {...}, "description": {...},
                "competences": [{"id": "1.1", "name": {...}, "description": {...}}]}]}

Identifiers are stable strings: results, role profiles and exports refer to them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from competence.texts import DocumentError, Text, require_text, translated

DATA = Path(__file__).parent / "data"
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Level:
    value: int
    name: Text
    group: str | None = None
    description: Text = field(default_factory=dict)


@dataclass(frozen=True)
class LevelGroup:
    id: str
    name: Text


@dataclass(frozen=True)
class Scale:
    levels: tuple[Level, ...]
    groups: tuple[LevelGroup, ...] = ()

    @property
    def max_level(self) -> int:
        return self.levels[-1].value

    def level(self, value: int) -> Level | None:
        return next((level for level in self.levels if level.value == value), None)

    def group_of(self, value: int) -> LevelGroup | None:
        level = self.level(value)
        return next((g for g in self.groups if level and g.id == level.group), None)


@dataclass(frozen=True)
class Competence:
    id: str
    name: Text
    description: Text = field(default_factory=dict)
    area_id: str = ""

    def label(self, locale: str) -> str:
        return f"{self.id} {translated(self.name, locale)}"


@dataclass(frozen=True)
class Area:
    id: str
    name: Text
    competences: tuple[Competence, ...]
    description: Text = field(default_factory=dict)


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    name: Text
    scale: Scale
    areas: tuple[Area, ...]
    source: dict = field(default_factory=dict)
    licence: str = ""
    attribution: Text = field(default_factory=dict)
    description: Text = field(default_factory=dict)

    @cached_property
    def competences(self) -> tuple[Competence, ...]:
        return tuple(c for area in self.areas for c in area.competences)

    @cached_property
    def _competences_by_id(self) -> dict[str, Competence]:
        # Records for HR look a competence up per row: 100,000 rows scanned 21 each before.
        return {competence.id: competence for competence in self.competences}

    def competence(self, competence_id: str) -> Competence:
        return self._competences_by_id[competence_id]

    def area(self, area_id: str) -> Area:
        return next(area for area in self.areas if area.id == area_id)

    def to_document(self) -> dict:
        return {
            "id": self.id,
            "version": self.version,
            "name": dict(self.name),
            "description": dict(self.description),
            "source": dict(self.source),
            "licence": self.licence,
            "attribution": dict(self.attribution),
            "scale": {
                "levels": [
                    {
                        "value": level.value,
                        "name": dict(level.name),
                        "group": level.group,
                        "description": dict(level.description),
                    }
                    for level in self.scale.levels
                ],
                "groups": [{"id": g.id, "name": dict(g.name)} for g in self.scale.groups],
            },
            "areas": [
                {
                    "id": area.id,
                    "name": dict(area.name),
                    "description": dict(area.description),
                    "competences": [
                        {"id": c.id, "name": dict(c.name), "description": dict(c.description)}
                        for c in area.competences
                    ],
                }
                for area in self.areas
            ],
        }


def framework_from_document(document: object) -> Framework:
    """Validate a framework document and build the Framework; DocumentError says what is wrong."""
    if not isinstance(document, dict):
        raise DocumentError("framework: must be a JSON object")
    framework_id = _identifier(document.get("id"), "framework.id")
    scale = _scale(document.get("scale"))
    areas_doc = document.get("areas")
    if not isinstance(areas_doc, list) or not areas_doc:
        raise DocumentError("framework.areas: needs at least one area")
    seen: set[str] = set()
    areas = []
    for a, area_doc in enumerate(areas_doc):
        where = f"areas[{a}]"
        if not isinstance(area_doc, dict):
            raise DocumentError(f"{where}: must be an object")
        area_id = _identifier(area_doc.get("id"), f"{where}.id")
        competences_doc = area_doc.get("competences")
        if not isinstance(competences_doc, list) or not competences_doc:
            raise DocumentError(f"{where}.competences: needs at least one competence")
        competences = []
        for c, competence_doc in enumerate(competences_doc):
            cwhere = f"{where}.competences[{c}]"
            if not isinstance(competence_doc, dict):
                raise DocumentError(f"{cwhere}: must be an object")
            competence_id = _identifier(competence_doc.get("id"), f"{cwhere}.id")
            if competence_id in seen:
                raise DocumentError(f"{cwhere}.id: {competence_id!r} is used twice")
            seen.add(competence_id)
            competences.append(
                Competence(
                    id=competence_id,
                    name=require_text(competence_doc.get("name"), f"{cwhere}.name"),
                    description=_optional_text(competence_doc, "description", cwhere),
                    area_id=area_id,
                )
            )
        areas.append(
            Area(
                id=area_id,
                name=require_text(area_doc.get("name"), f"{where}.name"),
                description=_optional_text(area_doc, "description", where),
                competences=tuple(competences),
            )
        )
    return Framework(
        id=framework_id,
        version=str(document.get("version") or "1"),
        name=require_text(document.get("name"), "framework.name"),
        description=_optional_text(document, "description", "framework"),
        scale=scale,
        areas=tuple(areas),
        source=document["source"] if isinstance(document.get("source"), dict) else {},
        licence=str(document.get("licence") or ""),
        attribution=_optional_text(document, "attribution", "framework"),
    )


def _scale(document: object) -> Scale:
    if not isinstance(document, dict) or not isinstance(document.get("levels"), list):
        raise DocumentError("framework.scale.levels: needs a list of levels")
    if not all(isinstance(g, dict) for g in document.get("groups") or []):
        raise DocumentError("framework.scale.groups: each group must be an object")
    groups = tuple(
        LevelGroup(
            id=_identifier(g.get("id"), f"scale.groups[{i}].id"),
            name=require_text(g.get("name"), f"scale.groups[{i}].name"),
        )
        for i, g in enumerate(document.get("groups") or [])
    )
    group_ids = {g.id for g in groups}
    levels = []
    for i, level_doc in enumerate(document["levels"]):
        where = f"scale.levels[{i}]"
        value = level_doc.get("value") if isinstance(level_doc, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value != i + 1:
            raise DocumentError(f"{where}.value: levels are numbered 1, 2, 3, ... in order")
        group = level_doc.get("group")
        if group is not None and group not in group_ids:
            raise DocumentError(f"{where}.group: {group!r} is not one of the scale's groups")
        levels.append(
            Level(
                value=value,
                name=require_text(level_doc.get("name"), f"{where}.name"),
                group=group,
                description=_optional_text(level_doc, "description", where),
            )
        )
    if len(levels) < 2:
        raise DocumentError("framework.scale.levels: needs at least two levels")
    return Scale(levels=tuple(levels), groups=groups)


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise DocumentError(
            f"{where}: an identifier of letters, digits, '.', '_' or '-' is required, got {value!r}"
        )
    return value


def _optional_text(document: dict, key: str, where: str) -> dict[str, str]:
    value = document.get(key)
    return {} if value in (None, {}) else require_text(value, f"{where}.{key}")


def load_framework(path: Path) -> Framework:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DocumentError(f"{path.name}: not valid JSON ({error})") from error
    return framework_from_document(document)


@cache
def digcomp() -> Framework:
    """DigComp 2.2 as shipped with the tool."""
    return load_framework(DATA / "digcomp-2.2.json")
