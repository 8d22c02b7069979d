"""A framework as Moodle's competency framework CSV (the format: moodle_csv.py)."""

from __future__ import annotations

import csv
import io
import json

from competence.framework_io.moodle_csv import (
    AREA_PREFIX,
    FORMAT_PLAIN,
    MOODLE_HEADERS,
    MOODLE_TEXT_LIMIT,
    TAXONOMIES,
    lf_line_breaks,
    require_language,
)
from competence.frameworks import Framework, Scale
from competence.texts import LANGUAGES, DocumentError, Text


def default_proficient_from(scale: Scale) -> int:
    """The lowest proficient level when the caller does not say.

    With level groups (DigComp: foundation, intermediate, advanced, highly specialised) the
    first level of the second group, so DigComp's proficiency starts at 3, "intermediate";
    Moodle's default rating is then not a beginner's.  Without groups (an organisation's
    per-system scale, basic .. expert) every level is proficient: any level means the person
    can work with the system.
    """
    if len(scale.groups) >= 2:
        second = scale.groups[1].id
        return next((level.value for level in scale.levels if level.group == second), 1)
    return 1


def framework_to_moodle_csv(
    framework: Framework, language: str = "sv", proficient_from: int | None = None
) -> str:
    """The framework as tool_lpimportcsv imports it, with texts in one language.

    DocumentError when Moodle would change the framework on import: a scale value with a
    comma, a name or ID number over Moodle's 100 characters, two areas with one id.
    """
    require_language(language)
    threshold = proficient_from
    if threshold is None:
        threshold = default_proficient_from(framework.scale)
    if not 1 <= threshold <= framework.scale.max_level:
        raise ValueError(
            f"proficient_from: {threshold} is not a level of the scale "
            f"(1..{framework.scale.max_level})"
        )
    problems: list[str] = []
    scale_values = []
    for level in framework.scale.levels:
        name = _in_language(level.name, language).strip()
        if "," in name:
            problems.append(
                f"scale level {level.value} {name!r}: Moodle splits scale values at commas"
            )
        scale_values.append(name)

    def short_name(text: Text, where: str) -> str:
        name = _in_language(text, language)
        if len(name) > MOODLE_TEXT_LIMIT:
            problems.append(
                f"{where}: the name is longer than Moodle's {MOODLE_TEXT_LIMIT} characters"
            )
        return name

    def id_number(value: str, where: str) -> str:
        if len(value) > MOODLE_TEXT_LIMIT:
            problems.append(
                f"{where}: ID number {value!r} is longer than {MOODLE_TEXT_LIMIT} characters"
            )
        return value

    rows = [
        list(MOODLE_HEADERS),
        [
            "",
            id_number(framework.id, "framework"),
            short_name(framework.name, "framework"),
            _in_language(framework.description, language),
            str(FORMAT_PLAIN),
            ",".join(scale_values),
            _scale_configuration(threshold, framework.scale.max_level),
            "",
            "",
            "",
            "",
            "",
            "1",
            TAXONOMIES,
        ],
    ]
    area_ids: set[str] = set()
    for area in framework.areas:
        if area.id in area_ids:
            problems.append(f"area {area.id!r}: two areas have this id")
        area_ids.add(area.id)
        area_number = id_number(AREA_PREFIX + area.id, f"area {area.id!r}")
        rows.append(
            _competency_row(
                "",
                area_number,
                short_name(area.name, f"area {area.id!r}"),
                _in_language(area.description, language),
            )
        )
        for competence in area.competences:
            where = f"competence {competence.id!r}"
            rows.append(
                _competency_row(
                    area_number,
                    id_number(competence.id, where),
                    short_name(competence.name, where),
                    _in_language(competence.description, language),
                )
            )
    if problems:
        raise DocumentError("cannot be exported to Moodle: " + "; ".join(problems))
    out = io.StringIO()
    # Moodle's csv_export_writer (fputcsv) ends lines with LF and quotes only where needed.
    # Not neutralised against formulas (competence.tables.neutralised): the file is for Moodle's
    # importer, which keeps a leading ' as part of the name; its texts are the framework's own.
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _competency_row(parent: str, idnumber: str, shortname: str, description: str) -> list[str]:
    # Rule outcome "0" and rule config "null" are what Moodle's own exporter writes for a
    # competency without a rule.
    return [
        parent,
        idnumber,
        shortname,
        description,
        str(FORMAT_PLAIN),
        "",
        "",
        "",
        "0",
        "null",
        "",
        "",
        "",
        "",
    ]


def _scale_configuration(proficient_from: int, levels: int) -> str:
    # Moodle's scale configuration dialogue lists only the values it marks; the default
    # rating is the first proficient one.  The scaleid is a placeholder that the importer
    # replaces with the scale it matches or creates.
    marked = [
        {"id": value, "scaledefault": int(value == proficient_from), "proficient": 1}
        for value in range(proficient_from, levels + 1)
    ]
    return json.dumps([{"scaleid": 0}, *marked], separators=(",", ":"))


def _in_language(text: Text, language: str) -> str:
    """The text in `language`, falling back like `translated` but never to a blank text,
    with line breaks as Moodle will store them, so that an export imported and exported
    again is the same file."""
    for key in (language, *LANGUAGES, *text):
        if text.get(key, "").strip():
            return lf_line_breaks(text[key])
    return ""
