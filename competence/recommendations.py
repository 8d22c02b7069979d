"""Next steps: learning activities that lift a competence from where the person is.

An activity "builds" a competence from one level to another.  It suits a person
at level L when it reaches the next level (from <= L + 1 <= to), so a course
for beginners is not offered to someone already past it, nor an expert course
to someone at the start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Activity:
    id: int
    title: str
    kind: str
    url: str | None
    language: str
    duration_minutes: int | None
    builds: tuple[tuple[str, int, int], ...]  # (competence id, from level, to level)


def suitable(activity: Activity, competence_id: str, level: int | None) -> bool:
    next_level = (level or 0) + 1
    return any(
        competence == competence_id and low <= next_level <= high
        for competence, low, high in activity.builds
    )


def recommend(
    activities: Iterable[Activity],
    competence_id: str,
    level: int | None,
    language: str | None = None,
    limit: int = 3,
) -> list[Activity]:
    """Suitable activities for a competence, those in the person's language first."""
    found = [a for a in activities if suitable(a, competence_id, level)]
    found.sort(key=lambda a: (a.language != language, a.duration_minutes or 0, a.title))
    return found[:limit]
