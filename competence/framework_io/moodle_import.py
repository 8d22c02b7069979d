"""Moodle's competency framework CSV read back as a framework, every bad row by line (the
format: moodle_csv.py)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import NamedTuple

from competence import strict_csv
from competence.framework_io.moodle_csv import (
    AREA_PREFIX,
    DESCRIPTION_FORMATS,
    FORMAT_HTML,
    MOODLE_HEADERS,
    MOODLE_TAXONOMY_TERMS,
    lf_line_breaks,
    require_language,
)
from competence.framework_io.uploads import ImportRejected, RowError, decoded
from competence.frameworks import IDENTIFIER, Framework, framework_from_document
from competence.texts import DocumentError


@dataclass(frozen=True)
class MoodleImport:
    framework: Framework
    proficient_from: int


class _Row(NamedTuple):
    """A data row by Moodle's column positions."""

    parent: str
    idnumber: str
    shortname: str
    description: str
    description_format: str
    scale_values: str
    scale_configuration: str
    rule_type: str
    rule_outcome: str
    rule_config: str
    related: str
    exported_id: str
    is_framework: str
    taxonomy: str


def framework_from_moodle_csv(
    text: str | bytes, *, framework_id: str | None = None, language: str = "sv"
) -> Framework:
    return read_moodle_csv(text, framework_id=framework_id, language=language).framework


def read_moodle_csv(
    text: str | bytes, *, framework_id: str | None = None, language: str = "sv"
) -> MoodleImport:
    """A Moodle competency framework CSV as a framework with texts in `language`.

    Also returns where Moodle's proficiency starts, so that exporting the framework again
    writes the same file.  `framework_id` replaces the file's framework ID number.
    ImportRejected lists every bad row by line (the header is line 1; a row is numbered by
    the line it starts on).  Nothing is built unless the whole file is good.
    """
    require_language(language)
    if framework_id is not None and not IDENTIFIER.match(framework_id):
        raise DocumentError(f"framework_id: {framework_id!r} is not an identifier")
    records, errors, complete = _records(lf_line_breaks(decoded(text)))
    if not records:
        raise ImportRejected(errors or [RowError(1, "the file is empty")])
    header_line, header = records[0]
    width = len(MOODLE_HEADERS)
    if len(header) != width:
        hint = " (separated by semicolons? Moodle's format uses commas)" if ";" in header[0] else ""
        errors.append(
            RowError(
                header_line, f"the header has {len(header)} columns, Moodle's format {width}{hint}"
            )
        )
    rows: list[tuple[int, _Row]] = []
    loose_ids: set[str] = set()  # ID numbers of rows too malformed to read
    for line, fields in records[1:]:
        if len(fields) == width:
            rows.append((line, _Row(*fields)))
        else:
            errors.append(RowError(line, f"has {len(fields)} columns, Moodle's format {width}"))
            if len(fields) > 1:
                loose_ids.add(fields[1])
    if not complete:
        # The file could not be read to the end: only row-by-row checks are fair.
        for line, row in rows:
            errors.extend(RowError(line, message) for message in _format_problems(row))
        raise ImportRejected(sorted(errors, key=lambda error: error.line))
    builder = _Builder(header_line, language, framework_id)
    builder.read(rows, loose_ids)
    errors.extend(builder.errors)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda error: error.line))
    try:
        framework = framework_from_document(builder.document)
    except DocumentError as error:  # every rule is checked above; this is a safety net
        raise ImportRejected([RowError(header_line, str(error))]) from error
    return MoodleImport(framework=framework, proficient_from=builder.proficient_from)


class _Builder:
    """Checks the rows against each other and gathers the framework document."""

    def __init__(self, header_line: int, language: str, framework_id: str | None) -> None:
        self.header_line = header_line
        self.language = language
        self.framework_id = framework_id
        self.errors: list[RowError] = []
        self.document: dict = {}
        self.proficient_from = 1
        self.scale_values: list[str] | None = None

    def fail(self, line: int, message: str) -> None:
        self.errors.append(RowError(line, message))

    def read(self, rows: list[tuple[int, _Row]], loose_ids: set[str]) -> None:
        for line, row in rows:
            for message in _format_problems(row):
                self.fail(line, message)
        framework_rows = [(line, row) for line, row in rows if _php_true(row.is_framework)]
        competency_rows = [(line, row) for line, row in rows if not _php_true(row.is_framework)]
        if not framework_rows:
            self.fail(self.header_line, 'no row is the framework ("Is framework" = 1)')
        else:
            first = framework_rows[0][0]
            for line, _row in framework_rows[1:]:
                self.fail(line, f"a second framework row; the framework is on line {first}")
            self.read_framework(*framework_rows[0])
        self.read_competencies(competency_rows, loose_ids)

    def read_framework(self, line: int, row: _Row) -> None:
        framework_id = self.framework_id
        if framework_id is None:
            framework_id = row.idnumber
            if not framework_id:
                self.fail(line, "the framework's ID number is missing")
            elif not IDENTIFIER.match(framework_id):
                self.fail(line, _not_identifier("the framework's ID number", framework_id))
        if not row.shortname.strip():
            self.fail(line, "the framework's short name is missing")
        self.scale_values = self.read_scale_values(line, row.scale_values)
        if self.scale_values is not None:
            self.read_scale_configuration(line, row.scale_configuration, len(self.scale_values))
        unknown = [t for t in row.taxonomy.split(",") if t and t not in MOODLE_TAXONOMY_TERMS]
        if unknown:
            self.fail(
                line, f"Taxonomy: {', '.join(map(repr, unknown))} is not one of Moodle's terms"
            )
        self.document = {
            "id": framework_id,
            "version": "1",
            "name": self.text(row.shortname),
            "description": self.description(row),
            "scale": {
                "levels": [
                    {"value": value, "name": self.text(name)}
                    for value, name in enumerate(self.scale_values or [], start=1)
                ]
            },
            "areas": [],
        }

    def read_scale_values(self, line: int, value: str) -> list[str] | None:
        if not value.strip():
            self.fail(line, "Scale values is missing: the framework row carries the scale")
            return None
        names = [name.strip() for name in value.split(",")]
        if any(not name for name in names):
            self.fail(line, "Scale values has an empty value between its commas")
            return None
        if len(names) < 2:
            self.fail(line, "Scale values needs at least two values")
            return None
        return names

    def read_scale_configuration(self, line: int, value: str, size: int) -> None:
        try:
            configuration = json.loads(value)
        except json.JSONDecodeError as error:
            self.fail(line, f"Scale configuration is not valid JSON ({error.msg})")
            return
        if (
            not isinstance(configuration, list)
            or not configuration
            or not isinstance(configuration[0], dict)
        ):
            self.fail(
                line, 'Scale configuration must be a JSON list that starts with {"scaleid": ...}'
            )
            return
        entries = configuration[1:]
        problems = [
            f"Scale configuration [{index}]: {problem}"
            for index, problem in enumerate(
                (_scale_entry_problem(entry, size) for entry in entries), start=1
            )
            if problem
        ]
        if problems:
            for problem in problems:
                self.fail(line, problem)
            return
        defaults = [entry["id"] for entry in entries if entry.get("scaledefault", 0)]
        proficient = [entry["id"] for entry in entries if entry.get("proficient", 0)]
        if not defaults:
            self.fail(
                line, "Scale configuration marks no scale value as the default; Moodle needs one"
            )
        if not proficient:
            self.fail(
                line, "Scale configuration marks no scale value as proficient; Moodle needs one"
            )
        else:
            self.proficient_from = min(proficient)

    def read_competencies(self, rows: list[tuple[int, _Row]], loose_ids: set[str]) -> None:
        by_id: dict[str, tuple[int, _Row]] = {}
        for line, row in rows:
            if not row.idnumber:
                self.fail(line, "the ID number is missing")
            elif row.idnumber in by_id:
                self.fail(
                    line,
                    f"ID number {row.idnumber!r} is already used on line {by_id[row.idnumber][0]}",
                )
            else:
                by_id[row.idnumber] = (line, row)
            if not row.shortname.strip():
                self.fail(line, "the short name is missing")
            if (
                row.scale_values.strip()
                and self.scale_values is not None
                and [name.strip() for name in row.scale_values.split(",")] != self.scale_values
            ):
                self.fail(
                    line, "has a scale of its own; only the framework's scale can be imported"
                )

        areas: dict[str, dict] = {}  # by ID number, in file order
        area_lines: dict[str, int] = {}
        competences: list[tuple[int, _Row]] = []
        for line, row in rows:
            if by_id.get(row.idnumber, (0,))[0] != line:
                continue  # no ID number, or a duplicate: reported above
            if row.parent:
                competences.append((line, row))
                continue
            area_id = row.idnumber.removeprefix(AREA_PREFIX)
            if not IDENTIFIER.match(area_id):
                self.fail(line, _not_identifier("the ID number", row.idnumber))
            elif area_id in area_lines:
                self.fail(
                    line, f"area id {area_id!r} is already used on line {area_lines[area_id]}"
                )
            else:
                area_lines[area_id] = line
            areas[row.idnumber] = {
                "id": area_id,
                "name": self.text(row.shortname),
                "description": self.description(row),
                "competences": [],
            }
        for line, row in competences:
            parent = by_id.get(row.parent)
            if parent is None:
                if row.parent not in loose_ids:
                    self.fail(line, f"parent ID number {row.parent!r} is not in the file")
                continue
            if parent[1].parent:
                self.fail(
                    line,
                    f"is nested under {row.parent!r}, itself under {parent[1].parent!r}: only "
                    "areas and their competences (two levels) can be imported",
                )
                continue
            if not IDENTIFIER.match(row.idnumber):
                self.fail(line, _not_identifier("the ID number", row.idnumber))
            areas[row.parent]["competences"].append(
                {
                    "id": row.idnumber,
                    "name": self.text(row.shortname),
                    "description": self.description(row),
                }
            )
        for idnumber, area in areas.items():
            if not area["competences"]:
                self.fail(by_id[idnumber][0], f"area {idnumber!r} has no competences under it")
        if not rows:
            self.fail(self.header_line, "the file has no competencies")
        self.document["areas"] = list(areas.values())

    def text(self, value: str) -> dict[str, str]:
        return {self.language: value}

    def description(self, row: _Row) -> dict[str, str]:
        value = row.description
        if row.description_format.strip() == str(FORMAT_HTML):
            value = _text_from_html(value)
        return self.text(value) if value.strip() else {}


def _scale_entry_problem(entry: object, size: int) -> str | None:
    if not isinstance(entry, dict):
        return 'must be an object {"id", "scaledefault", "proficient"}'
    scale_id = entry.get("id")
    if not isinstance(scale_id, int) or isinstance(scale_id, bool) or not 1 <= scale_id <= size:
        return f"id {scale_id!r} is not one of the scale values 1..{size}"
    # Moodle's dialogue writes 0 or 1; True and False compare equal to them.
    if any(entry.get(key, 0) not in (0, 1) for key in ("scaledefault", "proficient")):
        return "scaledefault and proficient must be 0 or 1"
    return None


def _format_problems(row: _Row) -> list[str]:
    # Moodle's choices for descriptionformat; an empty cell is PARAM_INT's 0.
    if row.description_format.strip() in DESCRIPTION_FORMATS:
        return []
    return [f"Description format {row.description_format!r} is not 0, 1, 2 or 4"]


def _not_identifier(what: str, value: str) -> str:
    return (
        f"{what} {value!r} cannot be used as an id: up to 100 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit"
    )


def _php_true(value: str) -> bool:
    # The importer's `if ($isframework)`: PHP counts "" and "0" as false, any other text true.
    return value not in ("", "0")


def _records(text: str) -> tuple[list[tuple[int, list[str]]], list[RowError], bool]:
    """(line, fields) per non-blank row, errors, and whether the reader got to the end.

    Read by the tool's one strict reader (competence.strict_csv), so a quote never closed
    is refused here as in every other file; the width check against Moodle's fourteen
    columns is this format's own (read_moodle_csv)."""
    found: list[tuple[int, list[str]]] = []
    try:
        for record in strict_csv.records(text, delimiter=",", nul_allowed=True):
            found.append((record.line, record.values))
    except strict_csv.CsvRefused as refused:
        return found, [RowError(p.line, _csv_problem(p)) for p in refused.problems], False
    return found, [], True


def _csv_problem(problem: strict_csv.CsvProblem) -> str:
    if problem.code == "unclosed_quote":
        return "a quoted field that starts on this row is never closed"
    if problem.code == "text_after_quote":
        return 'text after a closing quote; write a quote inside a quoted field as ""'
    return problem.message


class _TextFromHtml(HTMLParser):
    """Plain text from Moodle's HTML descriptions: paragraphs and breaks become line breaks."""

    BREAKS = frozenset(
        {
            "br",
            "p",
            "div",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "pre",
            "ul",
            "ol",
            "table",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))


def _text_from_html(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
