"""HR's staff list, read and checked before anything is stored.

Two forms carry the same fields:

* CSV, as Swedish HR systems export it: UTF-8 with or without a byte order mark,
  separated by `;` or `,` (whichever the header line uses), one employee per row.
  The header names the columns (any order, case ignored, unknown columns ignored).
* JSON, ``{"employees": [{...}, ...]}`` with the same names as keys: what an HR
  system's endpoint serves to the tool's nightly poll (see README, "HR import").

Columns (`employee_id` and `name` are required):

    employee_id          HR's employee number; Moodle's idnumber (lis.person_sourcedid)
    email                work e-mail, matched case-insensitively
    name                 full name
    manager_employee_id  the manager's employee_id (must be in the same list)
    unit_code            the unit's code; unit_name its name, parent_unit_code the unit above
    role                 yrkesroll, e.g. "Undersköterska"
    gender               woman/man/other (also kvinna/man/annan, K/M); empty when unknown
    digital_role_model   yes/no (ja/nej, true/false, 1/0); empty means no

The list is all or nothing: every bad row is reported with its line (its position
in `employees` for JSON) and nothing is imported until the list is clean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, ClassVar

from competence.strict_csv import PROBLEMS as CSV_PROBLEMS
from competence.strict_csv import CsvProblem, CsvRefused, LineProblem, read_table
from competence.texts import DocumentError

FIELDS = (
    "employee_id",
    "email",
    "name",
    "manager_employee_id",
    "unit_code",
    "unit_name",
    "parent_unit_code",
    "role",
    "gender",
    "digital_role_model",
)
REQUIRED = ("employee_id", "name")
GENDERS = {
    "woman": "woman",
    "kvinna": "woman",
    "k": "woman",
    "f": "woman",
    "man": "man",
    "m": "man",
    "other": "other",
    "annan": "other",
    "annat": "other",
}
YES = {"yes", "ja", "true", "1", "x", "y", "j"}
NO = {"no", "nej", "false", "0", "n", ""}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MAX_LENGTH = {"employee_id": 64, "email": 320, "name": 255, "unit_code": 64, "unit_name": 255}


@dataclass(frozen=True)
class StaffRow:
    line: int
    employee_id: str
    name: str
    email: str | None = None
    manager_employee_id: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None
    parent_unit_code: str | None = None
    role: str | None = None
    gender: str | None = None
    digital_role_model: bool = False


# Every problem the list can have, by code; the web pages translate them by code.
PROBLEMS = {
    "empty": "the file is empty",
    "missing_columns": "the header has no column %(columns)s",
    "not_json": "not valid JSON (%(reason)s)",
    "not_employees": 'expected {"employees": [...]}',
    "not_object": "not an object",
    "missing_id": "employee_id is missing",
    "missing_name": "name is missing",
    "too_long": "%(field)s is longer than %(limit)s characters",
    "duplicate_id": "duplicate employee_id '%(value)s' (also on line %(other)s)",
    "duplicate_email": "duplicate email '%(value)s' (also on line %(other)s)",
    "bad_email": "email '%(value)s' is not an e-mail address",
    "bad_gender": "gender '%(value)s' is not one of woman, man, other (or empty)",
    "bad_flag": "digital_role_model '%(value)s' is not yes or no",
    "unit_without_code": "unit_name or parent_unit_code given without unit_code",
    "unknown_manager": "unknown manager id '%(value)s'",
    "manager_cycle": "manager cycle: %(path)s",
    "unit_names_differ": "unit '%(unit)s' is named '%(name)s', on line %(other)s '%(other_name)s'",
    "unit_parents_differ": (
        "unit '%(unit)s' has parent '%(parent)s', on line %(other)s '%(other_parent)s'"
    ),
    "unknown_parent": "unknown parent unit '%(value)s'",
    "unit_cycle": "unit '%(unit)s' is among its own parent units",
    "source": "%(reason)s",
    "mass_ending": (
        "the list would end %(ending)s of %(current)s current employments (%(percent)s %%); "
        "more than %(limit)s %% are ended only when someone confirms it"
    ),
    # competence.strict_csv's, for a CSV that is not a clean table:
    **CSV_PROBLEMS,
}


@dataclass(frozen=True)
class RowError(LineProblem):
    """A problem of the staff list (a code of PROBLEMS, CSV problems included)."""

    messages: ClassVar[Mapping[str, str]] = PROBLEMS


problem = RowError.of


class StaffListRejected(DocumentError):
    """The list has problems; `errors` names every one, with its line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(error) for error in self.errors))


def staff_list_from_csv(content: str | bytes | BinaryIO) -> list[StaffRow]:
    """The rows of a CSV staff list, read strictly (competence.strict_csv): a quote never
    closed, a value running over lines or a row wider or narrower than the header is
    refused with its line, never read as something else."""
    try:
        table = read_table(content, header_name=str.lower)
    except CsvRefused as refused:
        raise StaffListRejected([_from_csv(p) for p in refused.problems]) from refused
    if table is None:
        raise StaffListRejected([problem(0, "empty")])
    columns = [name.lower() for name in table.header]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise StaffListRejected(
            [problem(table.header_line, "missing_columns", columns=", ".join(missing))]
        )
    records = [(line, dict(zip(columns, values, strict=True))) for line, values in table.rows]
    return _checked(records, [])


def staff_list_from_json(content: str | bytes | dict) -> list[StaffRow]:
    if isinstance(content, dict):
        document = content
    else:
        try:
            document = json.loads(_decoded(content))
        except json.JSONDecodeError as error:
            raise StaffListRejected([problem(0, "not_json", reason=error)]) from error
    employees = document.get("employees") if isinstance(document, dict) else None
    if not isinstance(employees, list):
        raise StaffListRejected([problem(0, "not_employees")])
    records, errors = [], []
    for position, entry in enumerate(employees, start=1):
        if not isinstance(entry, dict):
            errors.append(problem(position, "not_object"))
            continue
        records.append((position, {key: _text(value) for key, value in entry.items()}))
    return _checked(records, errors)


def staff_list_from_file(name: str, content: bytes | BinaryIO) -> list[StaffRow]:
    """By the file's name: .json is the JSON document, anything else CSV.  `content` may
    be an open binary file: a CSV is then read as a stream."""
    if name.lower().endswith(".json"):
        return staff_list_from_json(content if isinstance(content, bytes) else content.read())
    return staff_list_from_csv(content)


def _from_csv(found: CsvProblem) -> RowError:
    return RowError(found.line, found.code, found.params)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _decoded(content: str | bytes) -> str:
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StaffListRejected([problem(0, "not_utf8")]) from error


def _checked(records: list[tuple[int, dict[str, str]]], errors: list[RowError]) -> list[StaffRow]:
    rows: list[StaffRow] = []
    readable: list[StaffRow] = []  # rows with an id, bad or not: their manager is checked too
    seen: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, record in records:
        row, problems = _row(line, record)
        if row is not None and row.employee_id in seen:
            problems.append(
                problem(line, "duplicate_id", value=row.employee_id, other=seen[row.employee_id])
            )
        if row is not None and row.email and row.email in emails:
            problems.append(
                problem(line, "duplicate_email", value=row.email, other=emails[row.email])
            )
        errors.extend(problems)
        if row is not None:
            readable.append(row)
            seen.setdefault(row.employee_id, line)
            if row.email:
                emails.setdefault(row.email, line)
            if not problems:
                rows.append(row)
    by_id = {row.employee_id: row for row in rows}
    errors.extend(_manager_problems(readable, rows, seen, by_id))
    errors.extend(_unit_problems(rows))
    if errors:
        raise StaffListRejected(sorted(errors, key=lambda error: error.line))
    return rows


def _row(line: int, record: dict[str, str]) -> tuple[StaffRow | None, list[RowError]]:
    value = {name: (record.get(name) or "").strip() for name in FIELDS}
    problems = []
    if any("\x00" in text for text in value.values()):  # JSON's \u0000: no database stores it
        return None, [problem(line, "nul")]
    if not value["employee_id"]:
        problems.append(problem(line, "missing_id"))
    if not value["name"]:
        problems.append(problem(line, "missing_name"))
    for name, limit in MAX_LENGTH.items():
        if len(value[name]) > limit:
            problems.append(problem(line, "too_long", field=name, limit=limit))
    email = value["email"].lower() or None
    if email and not EMAIL.match(email):
        problems.append(problem(line, "bad_email", value=value["email"]))
    gender = GENDERS.get(value["gender"].lower()) if value["gender"] else None
    if value["gender"] and gender is None:
        problems.append(problem(line, "bad_gender", value=value["gender"]))
    flag = value["digital_role_model"].lower()
    if flag not in YES | NO:
        problems.append(problem(line, "bad_flag", value=value["digital_role_model"]))
    if not value["unit_code"] and (value["unit_name"] or value["parent_unit_code"]):
        problems.append(problem(line, "unit_without_code"))
    if not value["employee_id"]:
        return None, problems
    return (
        StaffRow(
            line=line,
            employee_id=value["employee_id"],
            name=value["name"],
            email=email,
            manager_employee_id=value["manager_employee_id"] or None,
            unit_code=value["unit_code"] or None,
            unit_name=value["unit_name"] or None,
            parent_unit_code=value["parent_unit_code"] or None,
            role=value["role"] or None,
            gender=gender,
            digital_role_model=flag in YES,
        ),
        problems,
    )


def _manager_problems(
    readable: list[StaffRow],
    rows: list[StaffRow],
    listed: dict[str, int],
    by_id: dict[str, StaffRow],
) -> list[RowError]:
    problems = []
    for row in readable:
        manager = row.manager_employee_id
        if manager is not None and manager not in listed:
            problems.append(problem(row.line, "unknown_manager", value=manager))
    # A cycle: following managers from a row comes back to a row already on the path.
    state: dict[str, int] = {}  # 1 = on the current path, 2 = known to end
    for row in rows:
        path = []
        current: str | None = row.employee_id
        while current is not None and current in by_id and state.get(current) is None:
            state[current] = 1
            path.append(current)
            current = by_id[current].manager_employee_id
        if current is not None and state.get(current) == 1:
            cycle = path[path.index(current) :]
            names = " → ".join([*cycle, current])
            problems.extend(
                problem(by_id[member].line, "manager_cycle", path=names) for member in cycle
            )
        for member in path:
            state[member] = 2
    return problems


def _unit_problems(rows: list[StaffRow]) -> list[RowError]:
    problems = []
    units: dict[str, StaffRow] = {}
    for row in rows:
        if row.unit_code is None:
            continue
        first = units.setdefault(row.unit_code, row)
        if first is not row:
            if row.unit_name and first.unit_name and row.unit_name != first.unit_name:
                problems.append(
                    problem(
                        row.line,
                        "unit_names_differ",
                        unit=row.unit_code,
                        name=row.unit_name,
                        other=first.line,
                        other_name=first.unit_name,
                    )
                )
            if row.parent_unit_code != first.parent_unit_code and row.parent_unit_code:
                if first.parent_unit_code is None:
                    units[row.unit_code] = row
                else:
                    problems.append(
                        problem(
                            row.line,
                            "unit_parents_differ",
                            unit=row.unit_code,
                            parent=row.parent_unit_code,
                            other=first.line,
                            other_parent=first.parent_unit_code,
                        )
                    )
    for row in units.values():
        parent = row.parent_unit_code
        if parent is not None and parent not in units:
            problems.append(problem(row.line, "unknown_parent", value=parent))
    in_cycle: set[str] = set()
    for code in units:
        path: list[str] = []
        current: str | None = code
        while current is not None and current in units and current not in path:
            path.append(current)
            current = units[current].parent_unit_code
        if current is not None and current in path:
            in_cycle.update(path[path.index(current) :])
    problems.extend(problem(units[code].line, "unit_cycle", unit=code) for code in sorted(in_cycle))
    return problems


def units_of(rows: Sequence[StaffRow]) -> dict[str, tuple[str, str | None]]:
    """Each unit code in the list: (name or None when no row names it, parent code)."""
    units: dict[str, tuple[str, str | None]] = {}
    for row in rows:
        if row.unit_code is None:
            continue
        name, parent = units.get(row.unit_code, (None, None))
        units[row.unit_code] = (name or row.unit_name, parent or row.parent_unit_code)
    return units
