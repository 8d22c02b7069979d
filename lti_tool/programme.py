"""Programme follow-up pages: indicators, the yearly maturity measurement, the team's radar.

The counting lives in competence.programme (rules and small-group hiding) and
the rows come from storage.programme_data; this module only checks who may look and
renders, with the words and tables of lti_tool.programme_tables and the radars of
competence.radar.radar_chart.  Every table on a page is a `competence.tables.Table`, and
the CSV and XLSX downloads are made from the very same tables, so a download can
never show a group the page hides.

Who sees what: `/programme` and `/programme/maturity` the organisation's
programme leads (and organisation admins); `/team/overview` a manager, about the
people reporting to them, and only for instruments the organisation shares
with managers.  Everything is of the launch's own organisation.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Collection
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask_babel import gettext, pgettext

from competence import programme as p
from competence import radar
from competence.frameworks import digcomp, framework_from_document
from competence.maturity import MATURITY_INSTRUMENT, maturity_framework
from competence.radar import RadarSeries
from competence.tables import Table, content_disposition, csv_style, table_csv, tables_xlsx
from competence.texts import translated
from lti_tool.access import access_required, current_access
from lti_tool.database import db_session
from lti_tool.programme_tables import (
    DEFINITIONS,
    INDICATOR_LABELS,
    SPLIT_LABELS,
    axes_of,
    file_name,
    group_label,
    indicator_table,
    measures,
    over_time_table,
    page_language,
    profile_table,
    split_word,
    team_table,
)
from storage.programme_data import (
    framework_documents,
    latest_result_sums,
    organisation_facts,
)
from storage.result_sharing import team_results

bp = Blueprint("programme", __name__)
DIGCOMP = "digcomp-2.2"


def _now() -> datetime:
    return datetime.now(UTC)


def _period_or_400() -> p.Period:
    try:
        return p.parse_period(request.args.get("period"), _now())
    except ValueError:
        _bad_request(gettext("The period must be a year (2026) or a quarter (2026-Q2)."))


def _bad_request(message: str):
    """A 400 page that says what was wrong, in the person's language."""
    abort(make_response(render_template("errors/http.html", status=400, message=message), 400))


def _split_or_400() -> str | None:
    split = request.args.get("split") or None
    if split is not None and split not in p.SPLITS:
        _bad_request(gettext("Unknown split: choose gender, unit or role."))
    return split


_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector held off while a report builds its rows.

    Counting 50,000 people makes a few hundred thousand small objects, and each of them
    brings the collector nearer to a pass over every object made so far: a third of the
    time went there.  The rows hold no reference cycles, so nothing is lost by collecting
    afterwards.  Counted, so that overlapping requests in threads restore it once."""
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


def programme_tables(period: p.Period, split: str | None):
    organisation_id = current_access().organisation.id
    with collector_paused():
        facts = organisation_facts(db_session(), organisation_id, documents=False)
        indicators = indicator_tables(facts, period, split)
        left_out = p.left_out_by_gender(p.members(facts, period))
    labels, profiles = competence_profiles(db_session(), organisation_id, period, left_out)
    tables = [
        *indicators,
        profile_table(
            "radar",
            gettext(
                "Mean DigComp level per area, latest results by the end of %(period)s",
                period=period.key,
            ),
            labels,
            profiles,
            sheet=gettext("Competence by unit"),
            file=file_name(pgettext("file name", "competence by unit"), period.key),
        ),
    ]
    charts = _unit_charts("programme-radar", labels, profiles, digcomp().scale.max_level)
    return tables, charts


def indicator_tables(facts: p.OrganisationFacts, period: p.Period, split: str | None):
    """The indicators of the period (by the split) and their development over time."""
    outcomes = p.outcomes(facts, period)
    split_figures = p.split_figures(outcomes, split)
    return (
        indicator_table(split_figures, split, period),
        over_time_table(facts, period, known={period: outcomes}),
    )


def competence_profiles(
    session, organisation_id: int, period: p.Period, left_out: Collection[int] = ()
) -> tuple[list[str], p.UnitProfiles]:
    """The axis labels and the mean DigComp level per area of the organisation and each unit
    (summed up by the database: no result documents are fetched), without the people the
    indicators leave out by gender (`left_out`)."""
    axes, labels = axes_of(digcomp(), "areas")
    sums = latest_result_sums(session, organisation_id, period, DIGCOMP, axes, left_out=left_out)
    return labels, p.profiles_from_sums(sums, axes)


def _unit_charts(
    prefix: str,
    labels: list[str],
    profiles: p.UnitProfiles,
    max_value: int,
    previous: p.UnitProfiles | None = None,
    years=None,
):
    """One radar per unit (and the organisation), or a note when the group is hidden."""
    entries = [("", gettext("Whole organisation"), profiles.total)] + [
        (u, group_label("unit", u), profiles.units[u]) for u in sorted(profiles.units)
    ]
    charts = []
    for index, (unit, name, profile) in enumerate(entries):
        before = None
        if previous is not None:
            before = previous.total if unit == "" else previous.units.get(unit)
        charts.append(
            radar_chart(f"{prefix}-{index}", name, labels, profile, max_value, before, years)
        )
    return charts


def radar_chart(
    id_prefix: str,
    name: str,
    labels: list[str],
    profile: p.Profile,
    max_value: int,
    before: p.Profile | None = None,
    years=None,
) -> dict:
    """One group's radar (`svg` None when the group is hidden), with last year's beside it."""
    svg = radar.radar_chart(
        labels,
        [
            None
            if profile.hidden
            else RadarSeries(years[-1] if years else name, profile.values, "current"),
            None
            if before is None or before.hidden
            else RadarSeries(years[0], before.values, "previous"),
        ],
        max_value=max_value,
        title=name,
        description=gettext(
            "Spider-web chart of the mean per area (0 to %(max)s) for %(name)s. "
            "The table shows the same data.",
            max=max_value,
            name=name,
        ),
        id_prefix=id_prefix,
    )
    return {"name": name, "svg": svg}


# --- routes --------------------------------------------------------------------------------------


def _download(tables: list[Table], key: str, fmt: str, all_file: str) -> Response:
    """One table as CSV or XLSX, or every table (`all`) as one XLSX, for the person's
    language: its Excel's CSV separator and decimal comma, sheet and file names."""
    if fmt == "xlsx":
        chosen = [t for t in tables if t.key == key] if key != "all" else tables
        if not chosen:
            abort(404)
        name = (all_file if key == "all" else chosen[0].file) + ".xlsx"
        return Response(
            tables_xlsx(chosen, measures()),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": content_disposition(name)},
        )
    if fmt == "csv":
        table = next((t for t in tables if t.key == key), None)
        if table is None:
            abort(404)
        return Response(
            table_csv(table, csv_style(page_language()), measures()),
            mimetype="text/csv",
            headers={"Content-Disposition": content_disposition(table.file + ".csv")},
        )
    abort(404)


@bp.get("/programme")
@access_required(lambda a: a.is_programme_lead)
def index():
    period, split = _period_or_400(), _split_or_400()
    tables, charts = programme_tables(period, split)
    return render_template(
        "programme/index.html",
        period=period,
        split=split,
        splits=SPLIT_LABELS,
        tables=tables,
        charts=charts,
        labels=INDICATOR_LABELS,
        definitions=DEFINITIONS,
        periods=_period_choices(),
        min_group=p.MIN_GROUP,
    )


@bp.get("/programme/export/<key>.<fmt>")
@access_required(lambda a: a.is_programme_lead)
def export(key: str, fmt: str):
    period, split = _period_or_400(), _split_or_400()
    tables, _ = programme_tables(period, split)
    all_file = file_name(pgettext("file name", "programme"), period.key, split_word(split))
    return _download(tables, key, fmt, all_file)


def _period_choices() -> list[str]:
    year = _now().year
    choices = []
    for y in range(year, year - 3, -1):
        choices.append(str(y))
        choices += [f"{y}-Q{q}" for q in range(4, 0, -1)]
    return choices


def maturity_tables(year: p.Period):
    access = current_access()
    framework = maturity_framework()
    axes, labels = axes_of(framework, "areas")
    years = p.Period(year.year).history(3)
    with collector_paused():
        facts = organisation_facts(
            db_session(), access.organisation.id, documents={MATURITY_INSTRUMENT}
        )
        by_year = p.maturity_by_year(facts, years, axes)
    tables = [
        profile_table(
            f"maturity-{y.key}",
            gettext("Digital maturity %(year)s: mean per area (0 to 4) by unit", year=y.key),
            labels,
            by_year[y.key],
            extra_ways=True,
            sheet=gettext("Maturity %(year)s", year=y.key),
            file=file_name(pgettext("file name", "digital maturity"), y.key),
        )
        for y in reversed(years)
    ]
    charts = _unit_charts(
        "maturity-radar",
        labels,
        by_year[years[-1].key],
        framework.scale.max_level,
        previous=by_year[years[-2].key],
        years=[years[-2].key, years[-1].key],
    )
    return tables, charts


@bp.get("/programme/maturity")
@access_required(lambda a: a.is_programme_lead)
def maturity():
    period = _period_or_400()
    tables, charts = maturity_tables(period)
    return render_template(
        "programme/maturity.html",
        period=period,
        tables=tables,
        charts=charts,
        years=[str(y) for y in range(_now().year, _now().year - 4, -1)],
        min_group=p.MIN_GROUP,
    )


@bp.get("/programme/maturity/export/<key>.<fmt>")
@access_required(lambda a: a.is_programme_lead)
def maturity_export(key: str, fmt: str):
    period = _period_or_400()
    tables, _ = maturity_tables(period)
    first = p.Period(period.year).history(3)[0]
    all_file = file_name(pgettext("file name", "digital maturity"), f"{first.key}-{period.year}")
    return _download(tables, key, fmt, all_file)


def team_tables():
    """Per shared instrument: the mean of the team's latest results (hidden under five)."""
    access = current_access()
    session = db_session()
    organisation_id = access.organisation.id
    # Only the results the manager may see (storage.result_sharing, the one rule).
    attempts = team_results(session, organisation_id, set(access.team))
    documents = framework_documents(session, {a.framework_key for a in attempts}, organisation_id)
    tables, charts = [], []
    for index, key in enumerate(sorted({a.instrument_key for a in attempts})):
        latest = p.latest_results(attempts, instrument_keys={key})
        framework_key = next(a.framework_key for a in latest.values())
        framework = framework_from_document(documents[framework_key])
        part = "areas" if len(framework.areas) >= 3 else "competences"
        axes, labels = axes_of(framework, part)
        profile = p.mean_profile([a.result for a in latest.values()], axes, part)
        table = team_table(key, translated(framework.name, page_language()), part, labels, profile)
        tables.append(table)
        svg = radar.radar_chart(
            labels,
            [None if profile.hidden else RadarSeries(gettext("Team"), profile.values, "current")],
            max_value=framework.scale.max_level,
            title=table.caption,
            description=gettext(
                "Spider-web chart of the team's mean level (0 to %(max)s). The table "
                "shows the same data.",
                max=framework.scale.max_level,
            ),
            id_prefix=f"team-radar-{index}",
        )
        charts.append({"name": table.caption, "svg": svg})
    return tables, charts


@bp.get("/team/overview")
@access_required(lambda a: a.is_manager)
def team_overview():
    tables, charts = team_tables()
    return render_template(
        "programme/team_overview.html",
        tables=tables,
        charts=charts,
        team_size=len(current_access().team),
        min_group=p.MIN_GROUP,
    )


@bp.get("/team/overview/export/<key>.<fmt>")
@access_required(lambda a: a.is_manager)
def team_overview_export(key: str, fmt: str):
    tables, _ = team_tables()
    return _download(tables, key, fmt, file_name(pgettext("file name", "team")))
