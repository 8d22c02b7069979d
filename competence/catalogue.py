"""Learning-activity catalogue entries: what a valid entry is, and reading them from CSV.

The same checks serve the admin form and the CSV import, so an entry that the
form refuses is refused in a file too.  Problems are codes with details (not
sentences): the web layer and the CLI say them in their own language.

CSV columns (header row required, UTF-8, comma or semicolon separated):

    title, kind, url, language, duration_minutes, framework, builds, roles, description

- kind: course | self-study | lecture | network
- url: empty, or an http(s) address (e.g. a Moodle course)
- language: sv | en
- duration_minutes: empty or a whole number of minutes
- framework: framework key; empty means digcomp-2.2
- builds: competences and levels, e.g. ``1.1:1-3; 2.4:2-4`` (from level 1 to level 3)
- roles: yrkesroller it suits, separated by ``;``; empty means everyone
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from competence.frameworks import Framework

KINDS = ("course", "self-study", "lecture", "network")
LANGUAGES = ("sv", "en")
DEFAULT_FRAMEWORK = "digcomp-2.2"
COLUMNS = (
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
_BUILD = re.compile(r"^\s*([^:\s]+)\s*:\s*(\d+)\s*-\s*(\d+)\s*$")


@dataclass(frozen=True)
class Problem:
    """What is wrong with an entry: a code the caller words, and the offending value."""

    code: str  # missing_title, bad_kind, bad_url, bad_language, bad_duration, bad_builds,
    # unknown_framework, unknown_competence, bad_levels, missing_columns, not_csv, empty
    value: str = ""
    line: int | None = None


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
}


def describe(problem: Problem) -> str:
    """The problem in English, for the command line and logs."""
    text = ENGLISH.get(problem.code, problem.code).format(value=problem.value)
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
        ),
        [],
    )


def entries_from_csv(
    content: bytes, find_framework: Callable[[str], Framework | None]
) -> list[Entry]:
    """Every row as an entry, or `Rejected` with every problem and its line: all or nothing."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Rejected([Problem("not_csv", "UTF-8", 1)]) from error
    if not text.strip():
        raise Rejected([Problem("empty", "", 1)])
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise Rejected([Problem("missing_columns", ", ".join(missing), 1)])
    reader.fieldnames = header
    entries: list[Entry] = []
    problems: list[Problem] = []
    cache: dict[str, Framework | None] = {}

    def cached(key: str) -> Framework | None:
        if key not in cache:
            cache[key] = find_framework(key)
        return cache[key]

    for row in reader:
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        entry, found = entry_from_fields(
            {k: v for k, v in row.items() if isinstance(v, str)}, cached
        )
        problems.extend(Problem(p.code, p.value, line) for p in found)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise Rejected(problems)
    if not entries:
        raise Rejected([Problem("empty", "", 1)])
    return entries
