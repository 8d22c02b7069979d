"""Learning-activity catalogue entries: what a valid entry is, and reading them from CSV.

The same checks serve the admin form and the CSV import, so an entry that the
form refuses is refused in a file too.  Problems are codes with details (not
sentences): the web layer and the CLI say them in their own language.

CSV columns (header row required, UTF-8, comma or semicolon separated):

    id, title, kind, url, language, duration_minutes, framework, builds, roles, description

- id: optional, the organisation's own id for the activity (at most 100 characters)
- kind: course | self-study | lecture | network
- url: empty, or an http(s) address (e.g. a Moodle course)
- language: sv | en
- duration_minutes: empty or a whole number of minutes
- framework: framework key; empty means digcomp-2.2
- builds: competences and levels, e.g. ``1.1:1-3; 2.4:2-4`` (from level 1 to level 3)
- roles: yrkesroller it suits, separated by ``;``; empty means everyone

A value holding the file's separator (``;`` in ``builds`` of a ``;`` file) must be in
quotes; a row with more or fewer columns than the header is refused with its line.
Importing a file again updates the organisation's entries it matches (`entry_key`:
the id, else the link, else the title) instead of adding them twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

from competence.frameworks import Framework
from competence.strict_csv import PROBLEMS as CSV_PROBLEMS
from competence.strict_csv import CsvProblem, CsvRefused, read_table

KINDS = ("course", "self-study", "lecture", "network")
LANGUAGES = ("sv", "en")
DEFAULT_FRAMEWORK = "digcomp-2.2"
COLUMNS = (
    "id",
    "title",
    "kind",
    "url",
    "language",
    "duration_minutes",
    "framework",
    "builds",
    "roles",
    "description",
)
REQUIRED_COLUMNS = ("title", "kind", "builds")
TITLE_MAX = 255
EXTERNAL_ID_MAX = 100
_BUILD = re.compile(r"^\s*([^:\s]+)\s*:\s*(\d+)\s*-\s*(\d+)\s*$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with an entry: a code the caller words, and the offending value."""

    code: str  # missing_title, bad_kind, bad_url, bad_language, bad_duration, bad_builds,
    # unknown_framework, unknown_competence, bad_levels, bad_id, missing_columns, not_csv,
    # empty, duplicate_key, and competence.strict_csv's codes for a file that is no table
    value: str = ""
    line: int | None = None
    params: tuple[tuple[str, str], ...] = ()


ENGLISH = {
    "missing_title": "a title is required (at most 255 characters)",
    "bad_kind": "kind {value!r} is not one of " + ", ".join(KINDS),
    "bad_url": "link {value!r} must start with http:// or https://",
    "bad_language": "language {value!r} must be sv or en",
    "bad_duration": "duration {value!r} must be a whole number of minutes",
    "unknown_framework": "no framework {value!r}",
    "bad_builds": "builds {value!r} must be like 1.1:1-3; 2.4:2-4",
    "unknown_competence": "the framework has no competence {value!r}",
    "bad_levels": "levels {value!r} must go from a lower to a higher level of the scale",
    "missing_columns": "missing columns: {value}",
    "not_csv": "not a CSV file in UTF-8",
    "empty": "no activities in the file",
    "bad_id": "id {value!r} is longer than 100 characters",
    "duplicate_key": (
        "{value!r} is also on line {other}: both rows would be the same activity; "
        "give each its own id"
    ),
}


def describe(problem: Problem) -> str:
    """The problem in English, for the command line and logs."""
    if problem.code in CSV_PROBLEMS and problem.code != "not_csv":
        text = CSV_PROBLEMS[problem.code] % dict(problem.params)
    else:
        text = ENGLISH.get(problem.code, problem.code).format(
            value=problem.value, **dict(problem.params)
        )
    return f"line {problem.line}: {text}" if problem.line is not None else text


@dataclass(frozen=True)
class Build:
    competence: str
    from_level: int
    to_level: int

    def to_document(self) -> dict:
        return {
            "competence": self.competence,
            "from_level": self.from_level,
            "to_level": self.to_level,
        }


@dataclass(frozen=True)
class Entry:
    title: str
    kind: str
    url: str | None
    language: str
    duration_minutes: int | None
    framework_key: str
    builds: tuple[Build, ...]
    roles: tuple[str, ...] = ()
    description: str | None = None
    # The organisation's own id for the entry (the file's `id` column), if it gives one.
    external_id: str | None = None


@dataclass
class Rejected(Exception):
    problems: list[Problem] = field(default_factory=list)


def parse_builds(text: str) -> list[Build] | None:
    """``1.1:1-3; 2.4:2-4`` to builds; None when any part cannot be read."""
    builds = []
    for part in (p for p in re.split(r"[;\n]", text or "") if p.strip()):
        match = _BUILD.match(part)
        if not match:
            return None
        builds.append(Build(match.group(1), int(match.group(2)), int(match.group(3))))
    return builds


def format_builds(builds: list[dict]) -> str:
    return "; ".join(f"{b['competence']}:{b['from_level']}-{b['to_level']}" for b in builds)


def split_roles(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.strip() for r in (text or "").split(";") if r.strip()))


def entry_from_fields(
    fields: Mapping[str, str], find_framework: Callable[[str], Framework | None]
) -> tuple[Entry | None, list[Problem]]:
    """An entry from text fields (a form or a CSV row), or every problem with them."""
    problems: list[Problem] = []
    title = (fields.get("title") or "").strip()
    if not title or len(title) > TITLE_MAX:
        problems.append(Problem("missing_title", title[:40]))
    kind = (fields.get("kind") or "").strip().lower()
    if kind not in KINDS:
        problems.append(Problem("bad_kind", kind))
    url = (fields.get("url") or "").strip() or None
    if url is not None and not re.match(r"^https?://[^\s/]+\S*$", url, re.I):
        problems.append(Problem("bad_url", url))
    language = (fields.get("language") or "sv").strip().lower() or "sv"
    if language not in LANGUAGES:
        problems.append(Problem("bad_language", language))
    duration_text = (fields.get("duration_minutes") or "").strip()
    duration = None
    if duration_text:
        if duration_text.isdigit() and int(duration_text) <= 100_000:
            duration = int(duration_text)
        else:
            problems.append(Problem("bad_duration", duration_text))
    framework_key = (fields.get("framework") or "").strip() or DEFAULT_FRAMEWORK
    framework = find_framework(framework_key)
    if framework is None:
        problems.append(Problem("unknown_framework", framework_key))
    builds_text = fields.get("builds") or ""
    builds = parse_builds(builds_text)
    if not builds:
        problems.append(Problem("bad_builds", builds_text.strip()))
    elif framework is not None:
        known = {c.id for c in framework.competences}
        for build in builds:
            if build.competence not in known:
                problems.append(Problem("unknown_competence", build.competence))
            elif not (0 <= build.from_level <= build.to_level <= framework.scale.max_level):
                problems.append(
                    Problem("bad_levels", f"{build.competence}:{build.from_level}-{build.to_level}")
                )
    external_id = (fields.get("id") or "").strip() or None
    if external_id is not None and len(external_id) > EXTERNAL_ID_MAX:
        problems.append(Problem("bad_id", external_id[:40]))
    if problems:
        return None, problems
    return (
        Entry(
            title=title,
            kind=kind,
            url=url,
            language=language,
            duration_minutes=duration,
            framework_key=framework_key,
            builds=tuple(builds),
            roles=split_roles(fields.get("roles") or ""),
            description=(fields.get("description") or "").strip() or None,
            external_id=external_id,
        ),
        [],
    )


def entries_from_csv(
    content: bytes | BinaryIO, find_framework: Callable[[str], Framework | None]
) -> list[Entry]:
    """Every row as an entry, or `Rejected` with every problem and its line: all or nothing.

    Read strictly (competence.strict_csv): a row whose columns do not match the header
    (an unquoted `;` in `builds` of a `;` file, say) or a quote never closed is refused
    with its line, never read shifted.  Only `description` may run over several lines.
    Two rows with the same key (`entry_key`) are refused too: one would undo the other."""
    try:
        table = read_table(content, line_breaks_in={"description"}, header_name=str.lower)
    except CsvRefused as refused:
        raise Rejected([_from_csv(problem) for problem in refused.problems]) from refused
    if table is None:
        raise Rejected([Problem("empty", "", 1)])
    header = [name.lower() for name in table.header]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise Rejected([Problem("missing_columns", ", ".join(missing), table.header_line)])
    entries: list[Entry] = []
    problems: list[Problem] = []
    cache: dict[str, Framework | None] = {}
    keys: dict[tuple[str, str], int] = {}

    def cached(key: str) -> Framework | None:
        if key not in cache:
            cache[key] = find_framework(key)
        return cache[key]

    for line, values in table.rows:
        row = dict(zip(header, values, strict=True))
        entry, found = entry_from_fields(row, cached)
        problems.extend(Problem(p.code, p.value, line) for p in found)
        if entry is None:
            continue
        key = entry_key(entry)
        if key in keys:
            problems.append(Problem("duplicate_key", key[1], line, (("other", str(keys[key])),)))
            continue
        keys[key] = line
        entries.append(entry)
    if problems:
        raise Rejected(problems)
    if not entries:
        raise Rejected([Problem("empty", "", 1)])
    return entries


def entry_key(entry: Entry) -> tuple[str, str]:
    """What a re-import matches an entry on: its `id` in the file, else its link, else
    its title (any case).  A matching entry is updated, not added again."""
    if entry.external_id:
        return ("id", entry.external_id)
    if entry.url:
        return ("url", entry.url)
    return ("title", entry.title.casefold())


def _from_csv(found: CsvProblem) -> Problem:
    code = "not_csv" if found.code == "not_utf8" else found.code
    return Problem(code, "", found.line or None, found.params)
