"""A made-up organisation for demos, the programme follow-up tests and the benchmarks.

Everything follows from the employee's index `i` (0..size-1) by simple arithmetic,
never from chance, so the same organisation comes out every time and a test can
work its indicators out by hand.  The demos and tests use 200 people (`SIZE`):

- units: `i % 3` (0 Socialtjänsten, 1 Barn och utbildning, 2 Samhällsbyggnad);
- managers: 0, 1, 2 lead their units; 3..14 are team leaders, leader `j` in unit
  `j % 3` reporting to that unit's head; everyone from 15 reports to team leader
  `3 + i % 3 + 3 * ((i // 3) % 4)` of their unit;
- gender: 5, 50 and 100 "other", else "woman" when `(i // 4) % 2 == 0`, else "man";
- role (yrkesroll): "Chef" for 0..14; "Jurist" for 17 and 101; else by `i % 5`
  (Undersköterska, Lärare, Handläggare, Ingenjör, Administratör);
- digital role model: `i % 10 == 9`; employed from 1 January 2024, but 196..199
  worked only in 2023 and have left (HR no longer lists them: inactive), so
  every period from 2024 on counts 0..195 (what they did later never counts);
- DigComp (short): even `i` start in March 2025, and `i % 4 == 0` submit it, every
  answer on option `1 + i % 3` (overall level 1, 3 or 5); in February 2026
  `i % 4 == 0` submit a second one (one option higher when `i % 8 == 0`),
  `i % 4 == 1` submit their first (option `1 + i % 3`), `i % 4 == 3` start one;
- plans: team leaders 3, 5, 7, 9, 11 and 13 agree a plan with their first report
  on 10 April 2026; leader 4's plan is only agreed by the employee (2026); leader 6
  agreed one on 5 May 2025;
- maturity survey: in October 2025 everyone with `i % 5 != 0` answers, area `k`
  (strategy, ways of working, skills, tools, culture) on level `(i + k) % 5`; in
  October 2026 everyone with `i % 5 != 1`, on level `min(4, (i + k) % 5 + 1)`.

A larger organisation (the benchmarks') follows the same rules with more units and
team leaders (`Shape`): `U` units (3 below 6,000 people, one per 1,000 above), `L`
team leaders per unit (4, or teams of about 25 when that gives more); the heads are
0..U-1, leader `j` of U..U*(L+1)-1 is in unit `j % U`, and everyone else reports to
leader `U + i % U + U * ((i // U) % L)`.  "Other" gender and "Jurist" repeat every
1,000 people (`i % 1000`), and the plan agreements every 12 team leaders (leader
`U + k` as leader `3 + k % 12` above).  With U = 3 and L = 4 that is the list above.

The dev platform's people are in it, so `make run` users can try the pages:
Karin Lund (KARIN1003) is team leader 3, Anna Andersson (ANNA1001) is 24 and
reports to her, Maria Nilsson (MARIA1004), the administrator, heads unit 0.

`seed_programme` writes the organisation with ORM objects (and takes over people who
already launched); `seed_programme_bulk` (programme_seed_bulk.py) writes the same rows
with COPY (PostgreSQL) or executemany (SQLite), for benchmarks of tens of thousands of
people, and also stores each submitted attempt's answers.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.frameworks import digcomp
from competence.instruments import shipped_documents, shipped_instruments
from competence.maturity import maturity_document, maturity_framework, maturity_instrument
from competence.scoring import score
from storage.attempts import Attempt, AttemptStatus, store_instrument
from storage.people import Person
from storage.plans import DevelopmentPlan, PlanVersion
from storage.staff import Employee, Employment, SharedInstrument, Unit

SIZE = 200
UNITS = (("SOC", "Socialtjänsten"), ("BOU", "Barn och utbildning"), ("SBF", "Samhällsbyggnad"))
ROLES = ("Undersköterska", "Lärare", "Handläggare", "Ingenjör", "Administratör")
AREAS = ("strategy", "working-methods", "skills", "tools", "culture")
SHORT = "digcomp-2.2-short"
# index -> (employee number, LTI subject on the dev platform, given name, family name)
DEMO_PEOPLE = {
    0: ("MARIA1004", "dev-1004", "Maria", "Nilsson"),
    3: ("KARIN1003", "dev-1003", "Karin", "Lund"),
    24: ("ANNA1001", "dev-1001", "Anna", "Andersson"),
}
GIVEN = ("Alva", "Omar", "Linnea", "Nils", "Sara", "Ali", "Elsa", "Johan", "Maja", "Karim")
FAMILY = ("Holm", "Ek", "Strand", "Berg", "Lind", "Nyberg", "Sjö", "Dahl", "Hassan", "Öberg")
EMPLOYED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
# The leavers' employment: all of 2023.
LEAVERS_EMPLOYED = (datetime(2023, 1, 1, tzinfo=UTC), EMPLOYED_FROM)


class AlreadySeeded(Exception):
    """The organisation already has the example programme's people."""


# --- the rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """How an organisation of `size` people is laid out: its units and team leaders."""

    size: int = SIZE

    @property
    def units(self) -> int:
        return 3 if self.size < 6000 else self.size // 1000

    @property
    def leaders_per_unit(self) -> int:
        return max(4, self.size // (self.units * 25))

    @property
    def managers(self) -> int:
        """Heads and team leaders: employees 0..managers-1."""
        return self.units * (1 + self.leaders_per_unit)

    def unit(self, u: int) -> tuple[str, str]:
        """Code and name of unit `u`."""
        code, name = UNITS[u % 3]
        return (code, name) if u < 3 else (f"{code}{u // 3}", f"{name}, enhet {u // 3}")

    def unit_of(self, i: int) -> int:
        return i % self.units

    def leader_of(self, i: int) -> int | None:
        units = self.units
        if i < units:
            return None
        if i < self.managers:
            return i % units
        return units + i % units + units * ((i // units) % self.leaders_per_unit)

    def role_of(self, i: int) -> str:
        if i < self.managers:
            return "Chef"
        if i % 1000 in (17, 101):
            return "Jurist"
        return ROLES[i % 5]

    def active(self, i: int) -> bool:
        return i < self.size - 4

    def employed(self, i: int) -> tuple[datetime, datetime | None]:
        """(valid from, valid to) of employee i's employment: leavers' ended in 2023."""
        return (EMPLOYED_FROM, None) if self.active(i) else LEAVERS_EMPLOYED

    def first_reports(self) -> dict[int, int]:
        """Each team leader's first report (the lowest index reporting to them)."""
        first: dict[int, int] = {}
        start = self.managers
        for i in range(start, min(self.size, start + self.units * self.leaders_per_unit)):
            first.setdefault(self.leader_of(i), i)
        return first

    def plan_agreements(self) -> Iterator[tuple[int, datetime, datetime | None, bool]]:
        """(team leader, employee agreed, manager agreed, manager recorded) of each plan."""
        april, may = datetime(2026, 4, 10, 10, tzinfo=UTC), datetime(2025, 5, 5, 10, tzinfo=UTC)
        for k in range(self.units * self.leaders_per_unit):
            leader, kind = self.units + k, k % 12
            if kind % 2 == 0:
                # Karin's (kind 0) names no manager: the count falls back on HR's data.
                yield leader, april, april, kind != 0
            elif kind == 1:
                yield leader, april, None, True
            elif kind == 3:
                yield leader, may, may, True


def person_of(i: int) -> tuple[str, str, str, str]:
    """(employee number, LTI subject, given name, family name)"""
    return DEMO_PEOPLE.get(i, (f"E{i:04d}", f"seed-{i:04d}", GIVEN[i % 10], FAMILY[(i // 10) % 10]))


def gender_of(i: int) -> str:
    return "other" if i % 1000 in (5, 50, 100) else ("woman" if (i // 4) % 2 == 0 else "man")


def _at(year: int, month: int, i: int, hour: int = 9) -> datetime:
    return datetime(year, month, 1 + i % 28, hour, tzinfo=UTC)


def assessments_of(i: int) -> list[tuple[datetime, int | None]]:
    """Employee i's DigComp attempts: (started, the option every answer is on, or None
    when the attempt is left open)."""
    first = 1 + i % 3
    attempts: list[tuple[datetime, int | None]] = []
    if i % 2 == 0:
        attempts.append((_at(2025, 3, i), first if i % 4 == 0 else None))
    if i % 4 == 0:
        attempts.append((_at(2026, 2, i), first + 1 if i % 8 == 0 else first))
    elif i % 4 == 1:
        attempts.append((_at(2026, 2, i), first))
    elif i % 4 == 3:
        attempts.append((_at(2026, 2, i), None))
    return attempts


def surveys_of(i: int) -> list[tuple[datetime, tuple[int, ...]]]:
    """Employee i's maturity survey answers: (started, the level of each of AREAS)."""
    answers = []
    for year, skipped, lift in ((2025, 0, 0), (2026, 1, 1)):
        if i % 5 != skipped:
            levels = tuple(min(4, (i + k) % 5 + lift) for k in range(len(AREAS)))
            answers.append((_at(year, 10, i), levels))
    return answers


@functools.cache
def short_answers(option_index: int) -> tuple[dict[str, str], dict, int]:
    """The short DigComp's answers with every item on this option, the result, its level."""
    instrument = shipped_instruments()[SHORT]
    answers = {item.id: item.options[option_index].id for item in instrument.items}
    result = score(instrument, digcomp(), answers)
    return answers, result.to_document(), result.overall_level


@functools.cache
def survey_answers(levels: tuple[int, ...]) -> tuple[dict[str, str], dict, int]:
    instrument, framework = maturity_instrument(), maturity_framework()
    answers = {}
    for area, level in zip(AREAS, levels, strict=True):
        item = instrument.item(area)
        answers[area] = next(o.id for o in item.options if o.level == level)
    result = score(instrument, framework, answers)
    return answers, result.to_document(), result.overall_level


def prepare_instruments(session: Session, organisation_id: int) -> tuple[int, int]:
    """The instruments (stored on first use) and the shared short DigComp; their row ids."""
    if session.scalar(
        select(Unit.id).where(Unit.organisation_id == organisation_id, Unit.code == "SOC")
    ):
        raise AlreadySeeded("this organisation already has the seeded units")
    short_row = store_instrument(
        session, shipped_instruments()[SHORT], digcomp(), shipped_documents()[SHORT]
    )
    survey_row = store_instrument(
        session, maturity_instrument(), maturity_framework(), maturity_document()
    )
    session.flush()
    session.merge(SharedInstrument(organisation_id=organisation_id, instrument_key=SHORT))
    return short_row.id, survey_row.id


def agreed_plan(organisation_id, employee_id, leader_person_id, agreed, manager_agreed, recorded):
    year = str(agreed.year)
    plan = DevelopmentPlan(organisation_id=organisation_id, employee_id=employee_id, period=year)
    plan.versions.append(
        PlanVersion(
            number=1,
            targets={"1.1": 4},
            items=[{"key": "g:1", "goal": "Lär mig delade dokument", "due": f"{year}-12-01"}],
            created_by_person_id=leader_person_id,
            employee_agreed_at=agreed,
            manager_agreed_at=manager_agreed,
            manager_person_id=leader_person_id if recorded else None,
        )
    )
    return plan


# --- with ORM objects: demos and tests -----------------------------------------------------------


def seed_programme(session: Session, organisation_id: int, issuer: str, size: int = SIZE) -> int:
    """Create the organisation's staff, attempts, plans and survey answers; returns its size.

    `size` other than 200 (at least 100) follows the same rules (`Shape`), the last four
    inactive; from a few thousand people on, `seed_programme_bulk` is much faster.

    `issuer` is the issuer the people's LTI identities belong to (the organisation's
    platform), so the demo people launching from it are these employees.
    """
    short_id, survey_id = prepare_instruments(session, organisation_id)
    shape = Shape(size)
    units = add_units(session, organisation_id, shape)
    employees: list[Employee] = []
    for i in range(size):
        number, subject, given, family = person_of(i)
        person = session.scalar(
            select(Person).where(Person.issuer == issuer, Person.subject == subject)
        )
        if person is None:
            person = Person(organisation_id=organisation_id, issuer=issuer, subject=subject)
            session.add(person)
        person.given_name, person.family_name = given, family
        person.name = f"{given} {family}"
        person.person_sourcedid = number
        employee = Employee(
            organisation_id=organisation_id,
            employee_number=number,
            email=f"{number.lower()}@seed.invalid",
            name=f"{given} {family}",
            gender=gender_of(i),
            digital_role_model=i % 10 == 9,
            active=shape.active(i),
            person=person,
        )
        employees.append(employee)
    session.add_all(employees)
    session.flush()
    for i, employee in enumerate(employees):
        leader = shape.leader_of(i)
        valid_from, valid_to = shape.employed(i)
        session.add(
            Employment(
                employee_id=employee.id,
                unit_id=units[shape.unit_of(i)].id,
                manager_id=None if leader is None else employees[leader].id,
                role_title=shape.role_of(i),
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )
    for i, employee in enumerate(employees):
        for started, option in assessments_of(i):
            submitted = (None, None) if option is None else short_answers(option)[1:]
            session.add(_attempt(employee.person.id, short_id, started, *submitted))
    first_report = shape.first_reports()
    for leader, agreed, manager_agreed, recorded in shape.plan_agreements():
        report = employees[first_report[leader]]
        leader_person_id = employees[leader].person.id
        session.add(
            agreed_plan(
                organisation_id, report.id, leader_person_id, agreed, manager_agreed, recorded
            )
        )
    for i, employee in enumerate(employees):
        for started, levels in surveys_of(i):
            _, result, level = survey_answers(levels)
            session.add(_attempt(employee.person.id, survey_id, started, result, level))
    session.flush()
    return size


def _attempt(person_id: int, instrument_id: int, started: datetime, result=None, level=None):
    submitted = result is not None
    return Attempt(
        person_id=person_id,
        instrument_id=instrument_id,
        status=AttemptStatus.SUBMITTED if submitted else AttemptStatus.IN_PROGRESS,
        started_at=started,
        updated_at=started,
        submitted_at=started + timedelta(minutes=20) if submitted else None,
        result=result,
        overall_level=level,
        score=None if level is None else level / 8,
        # The made-up organisation's activities share results with managers.
        shared_with_manager=True,
    )


def add_units(session: Session, organisation_id: int, shape: Shape) -> list[Unit]:
    """The shape's units, added to the session (both seeds start from them)."""
    units = [
        Unit(organisation_id=organisation_id, code=code, name=name)
        for code, name in map(shape.unit, range(shape.units))
    ]
    session.add_all(units)
    return units
