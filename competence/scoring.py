"""From answers to levels: per competence, per area and overall, and gaps to a role's targets.

The rule, as the results page and the programme reports explain it:

1. Each answered self-rating or level-choice item implies a level (0 = not yet
   at the first level, up to the scale's top level); the competence's
   self-assessed level is the mean of its items' levels.
2. Knowledge questions check that estimate: the share answered wrongly lowers it
   by up to one level (KNOWLEDGE_WEIGHT); all correct leaves it unchanged.
   "I don't know" counts like no answer, so honesty never costs more than skipping.
3. An area's value is the mean of its assessed competences' values, the overall
   value the mean of all assessed competences' values.  Levels shown are these
   values rounded half up and kept within 0..max.

Not assessed: a competence without an answered self-rating or level item has no
level (None; it is absent from `AssessmentResult.competences`), shown as "Not
assessed" and never as zero.  Knowledge questions only check a self-assessed
level, so knowledge answers alone ("I don't know" is no answer at all) assess
nothing.  A competence that is not assessed is left out of its area's mean, of
the overall mean and of any comparison between two attempts (`compared_levels`).
With no competence assessed there is no area or overall level.

Finished: a person may submit with unanswered questions after confirming it.
A submitted attempt counts as finished (for the programme's "finished" figure
and against a link's attempt limit) when at least one competence was assessed,
that is when it has an overall level (`counts_as_finished`).  A submission with
nothing assessed is kept, but is not a finished assessment, uses no attempt and
is no completion (for HR, Moodle or a plan's item).

So a higher answer never gives a lower level anywhere (nor makes an assessed
competence not assessed), and levels stay in range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from competence.frameworks import Framework
from competence.instruments import Instrument

KNOWLEDGE_WEIGHT = 1.0


@dataclass(frozen=True)
class CompetenceResult:
    competence_id: str
    value: float
    level: int
    self_value: float
    knowledge_share: float | None


@dataclass(frozen=True)
class AreaResult:
    area_id: str
    value: float
    level: int


@dataclass(frozen=True)
class AssessmentResult:
    max_level: int
    competences: dict[str, CompetenceResult]
    areas: dict[str, AreaResult]
    overall_value: float | None
    overall_level: int | None

    @property
    def finished(self) -> bool:
        """See `counts_as_finished`."""
        return counts_as_finished(self.overall_level)

    def not_assessed(self, framework: Framework) -> list[str]:
        """The framework's competences without a level, in the framework's order."""
        return [c.id for c in framework.competences if c.id not in self.competences]

    @property
    def score(self) -> float:
        """Overall value as a share of the scale, for gradebooks (0.0 to 1.0)."""
        return 0.0 if self.overall_value is None else self.overall_value / self.max_level

    def to_document(self) -> dict:
        return {
            "max_level": self.max_level,
            "overall": {"value": self.overall_value, "level": self.overall_level},
            "areas": {a.area_id: {"value": a.value, "level": a.level} for a in self.areas.values()},
            "competences": {
                c.competence_id: {
                    "value": c.value,
                    "level": c.level,
                    "self_value": c.self_value,
                    "knowledge_share": c.knowledge_share,
                }
                for c in self.competences.values()
            },
        }


@dataclass(frozen=True)
class Gap:
    competence_id: str
    level: int | None
    target: int

    @property
    def size(self) -> int:
        return self.target - (self.level or 0)


def counts_as_finished(overall_level: int | None) -> bool:
    """A submitted attempt is a finished assessment when it assessed at least one competence.

    Only then does it have an overall level; a submission with nothing assessed is
    neither counted as finished nor against the attempts a link allows."""
    return overall_level is not None


def compared_levels(
    first: Mapping[str, Mapping], latest: Mapping[str, Mapping]
) -> tuple[int, int] | None:
    """Two attempts' overall levels over only the competences both assessed: (first, latest).

    `first` and `latest` are result documents' "competences" (id -> {"value": ...}).
    Comparing whole overall levels would let skipping one's weakest competences look
    like growth, so each side is the mean over the same competences, rounded half up
    like any level (the values are within the scale already).  None when no
    competence was assessed in both."""
    common = [cid for cid in latest if cid in first]
    if not common:
        return None

    def level(competences: Mapping[str, Mapping]) -> int:
        return math.floor(sum(competences[c]["value"] for c in common) / len(common) + 0.5)

    return level(first), level(latest)


def level_of(value: float, max_level: int) -> int:
    """Round half up (not to even) and keep within the scale."""
    return max(0, min(max_level, math.floor(value + 0.5)))


def score(
    instrument: Instrument, framework: Framework, answers: Mapping[str, str]
) -> AssessmentResult:
    max_level = framework.scale.max_level
    implied: dict[str, list[int]] = {}
    knowledge: dict[str, list[bool]] = {}
    for item in instrument.items:
        chosen = answers.get(item.id)
        option = item.option(chosen) if chosen is not None else None
        if option is None:
            continue
        if item.kind == "knowledge":
            if option.dont_know:
                continue
            knowledge.setdefault(item.competence_id, []).append(option.id == item.correct)
        elif option.level is not None:
            implied.setdefault(item.competence_id, []).append(option.level)

    competences: dict[str, CompetenceResult] = {}
    for competence in framework.competences:
        levels = implied.get(competence.id)
        if not levels:
            continue
        self_value = sum(levels) / len(levels)
        checks = knowledge.get(competence.id)
        share = sum(checks) / len(checks) if checks else None
        value = self_value if share is None else self_value - (1 - share) * KNOWLEDGE_WEIGHT
        value = max(0.0, min(float(max_level), value))
        competences[competence.id] = CompetenceResult(
            competence_id=competence.id,
            value=value,
            level=level_of(value, max_level),
            self_value=self_value,
            knowledge_share=share,
        )

    areas: dict[str, AreaResult] = {}
    for area in framework.areas:
        values = [competences[c.id].value for c in area.competences if c.id in competences]
        if values:
            mean = sum(values) / len(values)
            areas[area.id] = AreaResult(area.id, mean, level_of(mean, max_level))
    overall = sum(c.value for c in competences.values()) / len(competences) if competences else None
    return AssessmentResult(
        max_level=max_level,
        competences=competences,
        areas=areas,
        overall_value=overall,
        overall_level=None if overall is None else level_of(overall, max_level),
    )


def gaps(result: AssessmentResult, targets: Mapping[str, int]) -> list[Gap]:
    """Competences below their target level, the biggest gap first."""
    found = [
        Gap(
            competence_id,
            result.competences[competence_id].level
            if competence_id in result.competences
            else None,
            target,
        )
        for competence_id, target in targets.items()
    ]
    return sorted(
        (gap for gap in found if gap.size > 0), key=lambda gap: (-gap.size, gap.competence_id)
    )
