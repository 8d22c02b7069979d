"""The results page of a submitted attempt and the personal report (lti_tool.result_report):
the overall level and every competence's level in plain words, the chart with short names,
the table, strengths, gaps, the previous attempt and the next step.

`result_report` gathers what both show, so the page and the PDF cannot tell a person two
different things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import format_date, gettext
from markupsafe import Markup

from competence.frameworks import Framework
from competence.plain_language import LevelWords, at_work, level_words, scale_words, short_name
from competence.radar import RadarSeries, radar_chart
from competence.recommendations import recommend
from competence.texts import translated
from lti_tool.access import current_access
from lti_tool.database import db_session
from storage import Attempt
from storage.attempts import load_instrument, previous_assessment
from storage.catalogue import activities_for, profile_targets
from storage.plans import latest_plan

STRENGTHS_SHOWN = 3
GAPS_SHOWN = 3
# The results page draws its chart twice and the stylesheet (results-chart.css) shows the
# one that fits: wide for a computer or tablet, and for a phone a chart whose names are
# as large as the page's small print when it is shrunk to about 343 px.
WIDE_CHART = {"size": 640, "font_size": 14, "label_width": 0.26}
PHONE_CHART = {"size": 343, "font_size": 12, "label_width": 0.24}


@dataclass(frozen=True)
class CompetenceRow:
    id: str
    name: str
    area_name: str
    level: int | None
    level_name: str
    previous_level: int | None
    target: int | None
    short_name: str = ""
    area_id: str = ""


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
            short_name=short_name(framework, competence.id, language),
            area_id=competence.area_id,
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
    **layout,
) -> Markup | None:
    """The rows' radar, each spoke named by the competence's short name: the levels
    (`current` names them), and the earlier levels and the targets when named.  `layout`
    (size, font_size, label_width) goes on to competence.radar.radar_svg."""
    return radar_chart(
        [row.short_name or row.id for row in rows],
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
        **layout,
    )


@dataclass(frozen=True)
class NextStep:
    """Where the result goes next: the person's development dialogue, and their plan."""

    employee: bool  # in HR's staff list, so a plan can be made with their manager
    plan: bool  # a plan exists: the page links to it


@dataclass(frozen=True)
class ResultReport:
    """What the results page and the personal report (PDF) both say about one attempt."""

    attempt: Attempt
    framework: Framework
    instrument_name: str
    person_name: str | None
    submitted_at: datetime
    overall_level: int | None
    overall_name: str
    overall: LevelWords | None  # None: nothing was assessed
    at_work: str | None
    rows: list[CompetenceRow]
    words: dict[str, LevelWords]  # competence id → its level in plain words (assessed only)
    not_assessed: int
    areas: list[tuple[str, LevelWords | None]]  # None: not assessed
    previous: Attempt | None
    previous_overall: LevelWords | None
    targets: bool
    scale: list[LevelWords]
    next_step: NextStep
    language: str

    @property
    def level_names(self) -> dict[int, str]:
        """Each level's plain name: 3 → "Medel"."""
        return {words.value: words.name for words in self.scale}


def result_report(attempt: Attempt, language: str) -> ResultReport:
    session = db_session()
    loaded = load_instrument(session, attempt.instrument_id)
    framework = loaded.framework
    previous = previous_assessment(session, attempt)
    previous_levels = (
        {cid: c["level"] for cid, c in previous.result["competences"].items()} if previous else {}
    )
    targets = _targets(attempt, framework)
    rows = competence_rows(framework, attempt.result, language, targets, previous_levels)
    overall_level = attempt.result["overall"]["level"]
    previous_level = previous.result["overall"]["level"] if previous else None
    access = current_access()
    employee = access.employee if access else None
    return ResultReport(
        attempt=attempt,
        framework=framework,
        instrument_name=translated(loaded.instrument.name, language),
        person_name=attempt.person.display_name,
        submitted_at=attempt.submitted_at,
        overall_level=overall_level,
        overall_name=level_name(framework, overall_level, language),
        overall=_words(framework, overall_level, language),
        at_work=None if overall_level is None else at_work(framework, overall_level, language),
        rows=rows,
        words={
            row.id: level_words(framework, row.level, language)
            for row in rows
            if row.level is not None
        },
        not_assessed=sum(1 for row in rows if row.level is None),
        areas=[
            (translated(area.name, language), _words(framework, area_level, language))
            for area, area_level in (
                (area, attempt.result["areas"].get(area.id, {}).get("level"))
                for area in framework.areas
            )
        ],
        previous=previous,
        previous_overall=_words(framework, previous_level, language),
        targets=bool(targets),
        scale=scale_words(framework, language),
        next_step=NextStep(
            employee=employee is not None,
            plan=employee is not None and latest_plan(session, employee.id) is not None,
        ),
        language=language,
    )


def _words(framework: Framework, level: int | None, language: str) -> LevelWords | None:
    return None if level is None else level_words(framework, level, language)


def results_page(attempt: Attempt, language: str):
    report = result_report(attempt, language)
    rows, competences = report.rows, attempt.result["competences"]
    assessed = [row for row in rows if row.level is not None]
    overall_value = attempt.result["overall"]["value"]
    by_value = sorted(assessed, key=lambda row: (-competences[row.id]["value"], row.id))
    # Strengths stand out above the person's own average; with even levels there are none.
    strengths = [
        row for row in by_value if row.level and competences[row.id]["value"] > overall_value
    ][:STRENGTHS_SHOWN]
    if report.targets:
        with_gap = [row for row in rows if row.target and (row.level or 0) < row.target]
        gaps = sorted(with_gap, key=lambda row: (-(row.target - (row.level or 0)), row.id))
    else:
        gaps = sorted(assessed, key=lambda row: (competences[row.id]["value"], row.id))
    gaps = [row for row in gaps if row not in strengths][:GAPS_SHOWN]

    framework = report.framework
    activities = activities_for(db_session(), attempt.person.organisation_id, framework.id)
    recommendations = {row.id: recommend(activities, row.id, row.level, language) for row in gaps}
    return render_template(
        "assessment/results.html",
        report=report,
        attempt=attempt,
        framework=framework,
        instrument_name=report.instrument_name,
        overall_level=report.overall_level,
        overall_name=report.overall_name,
        areas=report.areas,
        rows=rows,
        strengths=strengths,
        gaps=gaps,
        recommendations=recommendations,
        catalogue_empty=not activities,
        previous=report.previous,
        targets=report.targets,
        # Areas head groups of rows when they hold more than one competence each.
        grouped=any(len(area.competences) > 1 for area in framework.areas),
        chart=_chart(report, WIDE_CHART, "wide"),
        phone_chart=_chart(report, PHONE_CHART, "phone"),
        language=language,
    )


def _chart(report: ResultReport, layout: dict, name: str) -> Markup | None:
    """The page's chart, its legend naming the dates ("Now (7 Dec 2026)")."""
    framework, rows, previous = report.framework, report.rows, report.previous
    return levels_chart(
        framework,
        rows,
        previous=gettext("Last time (%(date)s)", date=format_date(previous.submitted_at))
        if previous
        else None,
        current=gettext("Now (%(date)s)", date=format_date(report.submitted_at)),
        target=gettext("Target") if report.targets else None,
        title=gettext("Your levels per competence"),
        description=gettext(
            "Spider-web chart of your level (0 to %(max)s) in each of %(count)s competences. "
            "The table below shows the same data.",
            max=framework.scale.max_level,
            count=len(rows),
        ),
        id_prefix=f"competence-radar-{name}",
        **layout,
    )


def _targets(attempt: Attempt, framework: Framework) -> dict[str, int]:
    """The role profile the course link names (custom `role_profile`), if any."""
    link = attempt.resource_link
    key = (link.custom or {}).get("role_profile") if link else None
    if not key:
        return {}
    return profile_targets(db_session(), attempt.person.organisation_id, framework.id, key)
