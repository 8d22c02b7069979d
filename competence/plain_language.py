"""Plain words for a result: short competence names, what each level means, and what a
level means at work, in the person's language (Swedish klarspråk, and English).

The shipped frameworks have words written for them (data/plain-language.json); an
organisation's own framework falls back to what its document says: the competence's
name, the level's (or its group's) name and description, and a general text per band
of the scale.  Frameworks stored before these words existed get them too, because they
are looked up by the framework's id, not read from the stored document.

A soft hyphen (U+00AD) in a short name marks where a long word may break: browsers and
the chart's label wrapping use it, and `without_soft_hyphens` takes it out where text is
compared or read back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from competence.frameworks import DATA, Framework
from competence.texts import translated

SOFT_HYPHEN = "\u00ad"


@dataclass(frozen=True)
class LevelWords:
    """One level in plain words: "Nivå 2 – Grundläggande: du klarar enkla uppgifter ..."."""

    value: int
    name: str  # "Grundläggande"
    description: str  # "du klarar enkla uppgifter, ..." (lower case: it follows a colon)

    @property
    def sentence(self) -> str:
        """The description on its own: "Du klarar enkla uppgifter, ..."."""
        return self.description[:1].upper() + self.description[1:]


@cache
def _words() -> dict:
    return json.loads((DATA / "plain-language.json").read_text(encoding="utf-8"))


def _of(framework: Framework) -> dict:
    return _words()["frameworks"].get(framework.id, {})


def without_soft_hyphens(text: str) -> str:
    return text.replace(SOFT_HYPHEN, "")


def short_name(framework: Framework, competence_id: str, language: str) -> str:
    """The competence's short name for a chart's spoke ("Söka information"), else its name."""
    written = _of(framework).get("short_names", {}).get(competence_id)
    if written:
        return translated(written, language)
    return translated(framework.competence(competence_id).name, language)


def level_words(framework: Framework, value: int, language: str) -> LevelWords:
    """Level `value` (0 = not yet at the first level) in plain words."""
    written = _of(framework).get("levels", {}).get(str(value)) or (
        _words()["default"]["levels"].get(str(value)) if value == 0 else None
    )
    if written:
        return LevelWords(
            value,
            translated(written["name"], language),
            translated(written["description"], language),
        )
    level = framework.scale.level(value)
    group = framework.scale.group_of(value)
    name = translated(group.name if group else level.name, language) if level else str(value)
    description = translated(level.description, language) if level else ""
    return LevelWords(value, name, description[:1].lower() + description[1:])


def scale_words(framework: Framework, language: str) -> list[LevelWords]:
    """Every level a result can have, from 0 up to the scale's top, in plain words."""
    return [
        level_words(framework, value, language) for value in range(framework.scale.max_level + 1)
    ]


def at_work(framework: Framework, value: int, language: str) -> str:
    """What a level means for the person at work: short, encouraging and concrete."""
    bands = _of(framework).get("bands")
    if bands:
        band = next((b for b in bands if value <= b["up_to"]), bands[-1])
    else:
        share = value / framework.scale.max_level
        bands = _words()["default"]["bands"]
        band = next((b for b in bands if share <= b["up_to_share"]), bands[-1])
    return translated(band["at_work"], language)
