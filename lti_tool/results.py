"""The results page of a submitted attempt: chart, table, strengths, gaps, next steps."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext
from sqlalchemy import or_, select

from competence.frameworks import Framework
from competence.radar import RadarSeries, radar_svg
from competence.recommendations import Activity, recommend
from competence.texts import translated
from lti_tool.database import db_session
from storage import Attempt, AttemptStatus, LearningActivity, RoleProfile
from storage.attempts import load_instrument

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


def results_page(attempt: Attempt, language: str):
    session = db_session()
    loaded = load_instrument(session, attempt.instrument_id)
    framework = loaded.framework
    competences = attempt.result["competences"]
    previous = _previous_attempt(attempt)
    previous_levels = (
        {cid: c["level"] for cid, c in previous.result["competences"].items()} if previous else {}
    )
    targets = _targets(attempt, framework)

    rows = [
        CompetenceRow(
            id=competence.id,
            name=translated(competence.name, language),
            area_name=translated(framework.area(competence.area_id).name, language),
            level=competences.get(competence.id, {}).get("level"),
            level_name=level_name(
                framework, competences.get(competence.id, {}).get("level"), language
            ),
            previous_level=previous_levels.get(competence.id),
            target=targets.get(competence.id),
        )
        for competence in framework.competences
    ]
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

    activities = _activities(attempt, framework)
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
    series = []
    if with_previous:
        series.append(
            RadarSeries(
                gettext("Previous assessment"), [r.previous_level for r in rows], "previous"
            )
        )
    series.append(RadarSeries(gettext("This assessment"), [r.level for r in rows], "current"))
    if with_targets:
        series.append(RadarSeries(gettext("Target"), [r.target for r in rows], "target"))
    return radar_svg(
        [row.id for row in rows],
        series,
        max_value=framework.scale.max_level,
        title=gettext("Your levels per competence"),
        description=gettext(
            "Spider-web chart of your level (0 to %(max)s) in each of %(count)s competences. "
            "The table below shows the same data.",
            max=framework.scale.max_level,
            count=len(rows),
        ),
        id_prefix="competence-radar",
    )


def _previous_attempt(attempt: Attempt) -> Attempt | None:
    return db_session().scalar(
        select(Attempt)
        .where(
            Attempt.person_id == attempt.person_id,
            Attempt.resource_link_id == attempt.resource_link_id,
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.overall_level.is_not(None),  # one that assessed nothing is no comparison
            Attempt.submitted_at < attempt.submitted_at,
        )
        .order_by(Attempt.submitted_at.desc())
        .limit(1)
    )


def _targets(attempt: Attempt, framework: Framework) -> dict[str, int]:
    """The role profile the course link names (custom `role_profile`), if any."""
    link = attempt.resource_link
    key = (link.custom or {}).get("role_profile") if link else None
    if not key:
        return {}
    profile = db_session().scalar(
        select(RoleProfile).where(
            RoleProfile.organisation_id == attempt.person.organisation_id,
            RoleProfile.key == key,
            RoleProfile.framework_key == framework.id,
        )
    )
    return dict(profile.targets) if profile else {}


def _activities(attempt: Attempt, framework: Framework) -> list[Activity]:
    rows = db_session().scalars(
        select(LearningActivity).where(
            LearningActivity.framework_key == framework.id,
            or_(
                LearningActivity.organisation_id.is_(None),
                LearningActivity.organisation_id == attempt.person.organisation_id,
            ),
        )
    )
    return [
        Activity(
            id=row.id,
            title=row.title,
            kind=row.kind,
            url=row.url,
            language=row.language,
            duration_minutes=row.duration_minutes,
            builds=tuple(
                (str(b["competence"]), int(b["from_level"]), int(b["to_level"])) for b in row.builds
            ),
        )
        for row in rows
    ]
