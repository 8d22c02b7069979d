"""The made-up organisation of programme_seed.py, written in bulk for the benchmarks.

The same rules (`Shape`, `person_of`, `assessments_of` ...) as `seed_programme`, for tens
of thousands of people: ids are given here and rows go in with COPY on PostgreSQL and
executemany elsewhere, where the ORM would take minutes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from lti_tool.dev_platform.programme_seed import (
    Shape,
    add_units,
    agreed_plan,
    assessments_of,
    gender_of,
    person_of,
    prepare_instruments,
    short_answers,
    survey_answers,
    surveys_of,
)
from storage.attempts import Answer, Attempt
from storage.people import Person
from storage.staff import Employee, Employment


@dataclass(frozen=True)
class SeedCounts:
    """How many rows `seed_programme_bulk` wrote."""

    people: int
    units: int
    attempts: int
    submitted: int
    answers: int
    plans: int


def seed_programme_bulk(
    session: Session, organisation_id: int, issuer: str, size: int, answers: bool = True
) -> SeedCounts:
    """The organisation of `seed_programme`, written in bulk for a benchmark.

    For an organisation without people of this issuer: ids are given here, after the
    highest in use, and each submitted attempt's answers are stored too (`answers=False`
    leaves them out).  PostgreSQL gets COPY, other databases executemany, all in the
    session's transaction."""
    short_id, survey_id = prepare_instruments(session, organisation_id)
    shape = Shape(size)
    units = add_units(session, organisation_id, shape)
    session.flush()
    writer = _BulkWriter(session)
    person_base, employee_base = writer.next_id(Person), writer.next_id(Employee)
    people = [person_of(i) for i in range(size)]
    writer.write(
        Person,
        (
            "id",
            "organisation_id",
            "issuer",
            "subject",
            "name",
            "given_name",
            "family_name",
            "person_sourcedid",
        ),
        (
            (
                person_base + i,
                organisation_id,
                issuer,
                subject,
                f"{given} {family}",
                given,
                family,
                number,
            )
            for i, (number, subject, given, family) in enumerate(people)
        ),
    )
    writer.write(
        Employee,
        (
            "id",
            "organisation_id",
            "employee_number",
            "email",
            "name",
            "gender",
            "digital_role_model",
            "active",
            "person_id",
        ),
        (
            (
                employee_base + i,
                organisation_id,
                number,
                f"{number.lower()}@seed.invalid",
                f"{given} {family}",
                gender_of(i),
                i % 10 == 9,
                shape.active(i),
                person_base + i,
            )
            for i, (number, _, given, family) in enumerate(people)
        ),
    )
    leaders = [shape.leader_of(i) for i in range(size)]
    writer.write(
        Employment,
        ("employee_id", "unit_id", "manager_id", "role_title", "valid_from", "valid_to"),
        (
            (
                employee_base + i,
                units[shape.unit_of(i)].id,
                None if leader is None else employee_base + leader,
                shape.role_of(i),
                *shape.employed(i),
            )
            for i, leader in enumerate(leaders)
        ),
    )
    submitted: list[tuple[str, dict[str, str], datetime]] = []
    attempts = 0

    def attempt_rows():
        nonlocal attempts
        for instrument_id, rule, result_of in (
            (short_id, assessments_of, short_answers),
            (survey_id, surveys_of, survey_answers),
        ):
            for i in range(size):
                for started, choice in rule(i):
                    attempts += 1
                    # Made from the count, so the same organisation gets the same ids.
                    attempt_id = str(uuid.UUID(int=(organisation_id << 64) + attempts, version=4))
                    if choice is None:
                        yield (
                            attempt_id,
                            person_base + i,
                            instrument_id,
                            "in_progress",
                            started,
                            started,
                            None,
                            None,
                            None,
                            None,
                            True,
                        )
                        continue
                    chosen, result, level = result_of(choice)
                    at = started + timedelta(minutes=20)
                    submitted.append((attempt_id, chosen, at))
                    yield (
                        attempt_id,
                        person_base + i,
                        instrument_id,
                        "submitted",
                        started,
                        started,
                        at,
                        result,
                        level,
                        level / 8,
                        True,
                    )

    writer.write(
        Attempt,
        (
            "id",
            "person_id",
            "instrument_id",
            "status",
            "started_at",
            "updated_at",
            "submitted_at",
            "result",
            "overall_level",
            "score",
            "shared_with_manager",
        ),
        attempt_rows(),
    )
    answer_count = 0
    if answers:
        answer_count = writer.write(
            Answer,
            ("attempt_id", "item_id", "option_id", "answered_at"),
            (
                (attempt_id, item, option, at)
                for attempt_id, chosen, at in submitted
                for item, option in chosen.items()
            ),
        )
    first_report = shape.first_reports()
    plans = [
        agreed_plan(
            organisation_id,
            employee_base + first_report[leader],
            person_base + leader,
            agreed,
            manager_agreed,
            recorded,
        )
        for leader, agreed, manager_agreed, recorded in shape.plan_agreements()
    ]
    session.add_all(plans)
    writer.finish()
    session.flush()
    return SeedCounts(size, len(units), attempts, len(submitted), answer_count, len(plans))


class _BulkWriter:
    """Rows into a table, fast: COPY on PostgreSQL, executemany elsewhere.

    Columns left out get their Python-side default (one value for the whole write); the
    values are Python ones (aware datetimes, dicts for JSON), converted here for COPY."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.numbered: list[str] = []  # tables given integer ids here

    def next_id(self, model) -> int:
        return (self.session.scalar(select(func.max(model.id))) or 0) + 1

    def write(self, model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        table = model.__table__
        defaults = {
            column.name: column.default.arg(None)
            if column.default.is_callable
            else column.default.arg
            for column in table.columns
            if column.name not in columns and column.default is not None and not column.primary_key
        }
        names = (*columns, *defaults)
        tail = tuple(defaults.values())
        if "id" in columns and table.c.id.type.python_type is int:
            self.numbered.append(table.name)
        if self.postgres:
            return self._copy(table.name, names, (row + tail for row in rows))
        count = 0
        batch: list[dict] = []
        for row in rows:
            batch.append(dict(zip(names, row + tail, strict=True)))
            if len(batch) == 10_000:
                count += self._insert(table, batch)
                batch = []
        return count + self._insert(table, batch)

    def _insert(self, table, batch: list[dict]) -> int:
        if batch:
            self.connection.execute(insert(table), batch)
        return len(batch)

    def _copy(self, name: str, names: tuple[str, ...], rows: Iterable[tuple]) -> int:
        count = 0
        columns = ", ".join(names)
        cursor = self.connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(map(_copy_value, row)))
                count += 1
        return count

    def finish(self) -> None:
        """Moves PostgreSQL's id sequences past the ids given here."""
        if not self.postgres:
            return
        for name in self.numbered:  # the models' table names, never input
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {name}))"
                )
            )


def _copy_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return _json(value)
    return value


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"))
