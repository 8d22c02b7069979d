"""The results page of a submitted attempt: chart, table, strengths, gaps, next steps."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext
from markupsafe import Markup

from competence.frameworks import Framework
from competence.radar import RadarSeries, radar_chart
from competence.recommendations import recommend
from competence.texts import translated
from lti_tool.database import db_session
from storage import Attempt
from storage.attempts import load_instrument, previous_assessment
from storage.catalogue import activities_for, profile_targets

STRENGTHS_SHOWN = 3
GAPS_SHOWN = 3


@dataclass(frozen=True)
class CompetenceRow:
    id: str
    name: str
    area_name: str
    level: int | None
    level_name: str
    previous_level: int | None
    target: int | None


def level_name(framework: Framework, level: int | None, language: str) -> str:
    if level is None:
        return gettext("Not assessed")
    if level == 0:
        return gettext("Not yet at level 1")
    found = framework.scale.level(level)
    return translated(found.name, language) if found else str(level)


def competence_rows(
    framework: Framework,
    result: dict,
    language: str,
    targets: dict[str, int],
    previous_levels: dict[str, int | None] | None = None,
) -> list[CompetenceRow]:
    """One row per competence of the framework: the result's level, the earlier one, the
    target (the results page's and the team member page's table and chart)."""
    competences = result["competences"]
    return [
        CompetenceRow(
            id=competence.id,
            name=translated(competence.name, language),
            area_name=translated(framework.area(competence.area_id).name, language),
            level=competences.get(competence.id, {}).get("level"),
            level_name=level_name(
                framework, competences.get(competence.id, {}).get("level"), language
            ),
            previous_level=(previous_levels or {}).get(competence.id),
            target=targets.get(competence.id),
        )
        for competence in framework.competences
    ]


def levels_chart(
    framework: Framework,
    rows: list[CompetenceRow],
    *,
    current: str,
    previous: str | None = None,
    target: str | None = None,
    title: str,
    description: str,
    id_prefix: str,
) -> Markup | None:
    """The rows' radar: the levels (`current` names them), and the earlier levels and the
    targets when named."""
    return radar_chart(
        [row.id for row in rows],
        [
            RadarSeries(previous, [r.previous_level for r in rows], "previous")
            if previous
            else None,
            RadarSeries(current, [r.level for r in rows], "current"),
            RadarSeries(target, [r.target for r in rows], "target") if target else None,
        ],
        max_value=framework.scale.max_level,
        title=title,
        description=description,
        id_prefix=id_prefix,
    )


def results_page(attempt: Attempt, language: str):
    session = db_session()
    loaded = load_instrument(session, attempt.instrument_id)
    framework = loaded.framework
    competences = attempt.result["competences"]
    previous = previous_assessment(session, attempt)
    previous_levels = (
        {cid: c["level"] for cid, c in previous.result["competences"].items()} if previous else {}
    )
    targets = _targets(attempt, framework)
    rows = competence_rows(framework, attempt.result, language, targets, previous_levels)
    assessed = [row for row in rows if row.level is not None]
    overall_value = attempt.result["overall"]["value"]
    by_value = sorted(assessed, key=lambda row: (-competences[row.id]["value"], row.id))
    # Strengths stand out above the person's own average; with even levels there are none.
    strengths = [
        row for row in by_value if row.level and competences[row.id]["value"] > overall_value
    ][:STRENGTHS_SHOWN]
    if targets:
        with_gap = [row for row in rows if row.target and (row.level or 0) < row.target]
        gaps = sorted(with_gap, key=lambda row: (-(row.target - (row.level or 0)), row.id))
    else:
        gaps = sorted(assessed, key=lambda row: (competences[row.id]["value"], row.id))
    gaps = [row for row in gaps if row not in strengths][:GAPS_SHOWN]

    activities = activities_for(session, attempt.person.organisation_id, framework.id)
    recommendations = {row.id: recommend(activities, row.id, row.level, language) for row in gaps}
    return render_template(
        "assessment/results.html",
        attempt=attempt,
        framework=framework,
        instrument_name=translated(loaded.instrument.name, language),
        overall_level=attempt.result["overall"]["level"],
        overall_name=level_name(framework, attempt.result["overall"]["level"], language),
        areas=[
            (
                translated(area.name, language),
                level_name(
                    framework, attempt.result["areas"].get(area.id, {}).get("level"), language
                ),
            )
            for area in framework.areas
        ],
        rows=rows,
        strengths=strengths,
        gaps=gaps,
        recommendations=recommendations,
        catalogue_empty=not activities,
        previous=previous,
        targets=bool(targets),
        chart=_chart(framework, rows, previous is not None, bool(targets), language),
        language=language,
    )


def _chart(framework: Framework, rows, with_previous: bool, with_targets: bool, language: str):
    return levels_chart(
        framework,
        rows,
        previous=gettext("Previous assessment") if with_previous else None,
        current=gettext("This assessment"),
        target=gettext("Target") if with_targets else None,
        title=gettext("Your levels per competence"),
        description=gettext(
            "Spider-web chart of your level (0 to %(max)s) in each of %(count)s competences. "
            "The table below shows the same data.",
            max=framework.scale.max_level,
            count=len(rows),
        ),
        id_prefix="competence-radar",
    )


def _targets(attempt: Attempt, framework: Framework) -> dict[str, int]:
    """The role profile the course link names (custom `role_profile`), if any."""
    link = attempt.resource_link
    key = (link.custom or {}).get("role_profile") if link else None
    if not key:
        return {}
    return profile_targets(db_session(), attempt.person.organisation_id, framework.id, key)
