"""How the programme follow-up pages word and lay out their figures: labels, definitions,
notes, cells and the tables (`competence.tables.Table`) that pages and downloads share.

Flask-free but for the person's language (flask_babel); lti_tool.programme fetches the
figures and renders the pages.
"""

from __future__ import annotations

from flask_babel import format_decimal, get_locale, gettext, pgettext
from flask_babel import lazy_gettext as _l

from competence import programme as p
from competence.tables import (
    HIDDEN,
    HIDDEN_FIGURE,
    Cell,
    Counted,
    Level,
    Measures,
    Table,
    file_stem,
)
from competence.texts import translated

INDICATOR_LABELS = {
    "employees": _l("Employees"),
    "started": _l("Started an assessment"),
    "finished": _l("Finished an assessment"),
    "rose": _l("Competence rose"),
    "managers_agreed": _l("Managers who agreed a development plan"),
    "role_models": _l("Digital role models"),
    "digital_ways": _l("Use digital ways of working"),
}
DEFINITIONS = {
    "employees": _l(
        "Employees who had an employment during the period, also those who have left "
        "since. Unit and role (yrkesroll) are those of the employment valid during the "
        "period."
    ),
    "started": _l(
        "Employees who started an assessment during the period (the maturity survey not "
        "included), and their share of all employees."
    ),
    "finished": _l(
        "Employees who submitted an assessment during the period with at least one competence "
        "assessed, and their share of all employees."
    ),
    "rose": _l(
        "Of the employees with at least two finished assessments of the same instrument by "
        "the end of the period: the share whose latest overall level is higher than the "
        "first one's, both over only the competences assessed in both. The same or a lower "
        "level does not count."
    ),
    "managers_agreed": _l(
        "Of the managers (employees someone reported to during the period): the share who "
        "agreed at least one development plan in the period, that is a plan version both "
        "the employee and the manager agreed to during the period."
    ),
    "role_models": _l("Employees HR marks as digital role models, and their share."),
    "digital_ways": _l(
        "Of the employees who answered the digital-maturity survey during the period (the "
        "latest answer counts): the share who answered the question about digital ways of "
        "working in their daily work with “to a large extent” or “fully”."
    ),
}
SPLIT_LABELS = {
    "gender": _l("Gender"),
    "unit": _l("Unit"),
    "role": _l("Role (yrkesroll)"),
}
GENDER_LABELS = {
    "woman": _l("Women"),
    "man": _l("Men"),
    "other_or_unknown": _l("Other gender or not stated"),
}


def small_group_note() -> str:
    return gettext(
        "– = hidden: the figure concerns fewer than %(min)s people, or would let you work "
        "out a hidden figure from the total.",
        min=p.MIN_GROUP,
    )


def gender_rule_note() -> str:
    """The rule that keeps women and men shown (competence.programme), with the indicators."""
    return gettext(
        "By gender: people of another gender and people whose gender is not stated are "
        "counted as one group. When a gender group has fewer than %(min)s people in a "
        "figure, they are left out of that figure everywhere, in the totals too, so that "
        "nobody can work them out by subtraction. Women and men are therefore always "
        "shown when each group has %(min)s people or more; a total may be up to %(most)s "
        "people lower for each group left out.",
        min=p.MIN_GROUP,
        most=p.MIN_GROUP - 1,
    )


def group_label(split: str, key: str) -> str:
    if split == "gender":
        return str(GENDER_LABELS[key])
    if not key:
        return gettext("No unit") if split == "unit" else gettext("No role given")
    return key


def figure_cell(figure: p.Figure) -> Cell:
    """A figure as a table cell: hidden, or its count with what it is out of."""
    if figure.hidden:
        return HIDDEN_FIGURE
    if figure.kind == "size":
        return Counted(figure.count, None, "size")
    return Counted(figure.count, figure.people, figure.kind)


def shown(cell: Cell) -> str:
    """A cell as the page words it: "147 (75 %)", "51 % (25 of 49)", "2,1", "–"."""
    if cell is None:
        return ""
    if cell is HIDDEN_FIGURE:
        return HIDDEN
    if isinstance(cell, Level):
        return format_decimal(cell.value, format="0.0")
    if not isinstance(cell, Counted):
        return str(cell)
    # Whole numbers as the page's language writes them: "1 234" in Swedish, "1,234" in English.
    count = format_decimal(cell.count)
    if cell.kind == "size":
        return count
    percent = round(100 * (cell.share or 0))
    if cell.kind == "share":
        return gettext(
            "%(percent)s %% (%(count)s of %(people)s)",
            percent=percent,
            count=count,
            people=format_decimal(cell.out_of),
        )
    return gettext("%(count)s (%(percent)s %%)", count=count, percent=percent)


def format_figure(figure: p.Figure) -> str:
    return shown(figure_cell(figure))


def level_cell(value: float | None, hidden: bool) -> Cell:
    if hidden:
        return HIDDEN
    return None if value is None else Level(value)


def measures() -> Measures:
    """What a download calls the parts of "147 (75 %)"."""
    return Measures(gettext("number"), gettext("out of"), gettext("share (%)"))


def file_name(*words: str) -> str:
    """A download's file name (no extension) in the person's language, period and split in it."""
    return file_stem("kompetenslyft", *words)


def split_word(split: str | None) -> str:
    if split is None:
        return ""
    return {
        "gender": pgettext("file name", "gender"),
        "unit": pgettext("file name", "unit"),
        "role": pgettext("file name", "role"),
    }[split]


# --- the tables ---------------------------------------------------------------------------------


def indicator_table(split: p.SplitFigures, split_key: str | None, period: p.Period) -> Table:
    header = [gettext("Indicator"), gettext("All")]
    header += [group_label(split_key, g) for g in split.groups]
    cells = [
        [str(INDICATOR_LABELS[k]), figure_cell(split.total[k])]
        + [figure_cell(split.by_group[g][k]) for g in split.groups]
        for k in p.INDICATORS
    ]
    caption = (
        gettext(
            "Indicators %(period)s by %(split)s",
            period=period.key,
            split=str(SPLIT_LABELS[split_key]).lower(),
        )
        if split_key
        else gettext("Indicators %(period)s", period=period.key)
    )
    return Table.of(
        "indicators",
        caption,
        header,
        cells,
        shown,
        notes=(small_group_note(), gender_rule_note()),
        sheet=gettext("Indicators"),
        file=file_name(pgettext("file name", "indicators"), period.key, split_word(split_key)),
    )


def over_time_table(
    facts: p.OrganisationFacts, period: p.Period, known: dict | None = None
) -> Table:
    periods = period.history(4 if period.quarter else 3)
    figures = p.over_time(facts, periods, known)
    header = [gettext("Indicator")] + [q.key for q in periods]
    cells = [
        [str(INDICATOR_LABELS[k])] + [figure_cell(figures[q.key][k]) for q in periods]
        for k in p.INDICATORS
    ]
    caption = gettext("Development over time, whole organisation")
    return Table.of(
        "over-time",
        caption,
        header,
        cells,
        shown,
        notes=(small_group_note(), gender_rule_note()),
        sheet=gettext("Over time"),
        file=file_name(pgettext("file name", "development over time"), period.key),
    )


def axes_of(framework, part: str) -> tuple[list[str], list[str]]:
    language = page_language()
    if part == "areas":
        return [a.id for a in framework.areas], [
            translated(a.name, language) for a in framework.areas
        ]
    return (
        [c.id for c in framework.competences],
        [translated(c.name, language) for c in framework.competences],
    )


def profile_table(
    key: str,
    caption: str,
    labels: list[str],
    profiles: p.UnitProfiles,
    extra_ways: bool = False,
    *,
    sheet: str,
    file: str,
) -> Table:
    units = sorted(profiles.units)
    header = [gettext("Area"), gettext("Whole organisation")] + [
        group_label("unit", u) for u in units
    ]
    columns = [profiles.total] + [profiles.units[u] for u in units]
    cells = [[gettext("People")] + [HIDDEN if c.hidden else c.people for c in columns]]
    for i, label in enumerate(labels):
        cells.append([label] + [level_cell(c.values[i], c.hidden) for c in columns])
    if extra_ways:
        ways = [profiles.total_digital_ways] + [profiles.digital_ways[u] for u in units]
        cells.append([str(INDICATOR_LABELS["digital_ways"])] + [figure_cell(w) for w in ways])
    return Table.of(
        key,
        caption,
        header,
        cells,
        shown,
        notes=(small_group_note(),),
        sheet=sheet,
        file=file,
        counted_across="rows",  # the columns are units; each row is one measure
    )


def page_language() -> str:
    return get_locale().language


def team_table(key: str, name: str, part: str, labels: list[str], profile: p.Profile) -> Table:
    """The team's mean of their latest results of one instrument (`name`: its framework's),
    per area or competence (`part`)."""
    header = [gettext("Area") if part == "areas" else gettext("Competence"), gettext("Team")]
    cells = [[gettext("People"), HIDDEN if profile.hidden else profile.people]]
    cells += [
        [label, level_cell(profile.values[i], profile.hidden)] for i, label in enumerate(labels)
    ]
    caption = gettext("Team mean, latest results: %(name)s (%(key)s)", name=name, key=key)
    return Table.of(
        f"team-{key}",
        caption,
        header,
        cells,
        shown,
        notes=(small_group_note(),),
        sheet=name,
        file=file_name(pgettext("file name", "team"), key),
    )
