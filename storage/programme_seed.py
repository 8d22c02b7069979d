"""A made-up organisation of 200 people for demos and for the programme follow-up tests.

Everything follows from the employee's index `i` (0..199) by simple arithmetic,
never from chance, so the same organisation comes out every time and a test can
work its indicators out by hand:

- units: `i % 3` (0 Socialtjänsten, 1 Barn och utbildning, 2 Samhällsbyggnad);
- managers: 0, 1, 2 lead their units; 3..14 are team leaders, leader `j` in unit
  `j % 3` reporting to that unit's head; everyone from 15 reports to team leader
  `3 + i % 3 + 3 * ((i // 3) % 4)` of their unit;
- gender: 5, 50 and 100 "other", else "woman" when `(i // 4) % 2 == 0`, else "man";
- role (yrkesroll): "Chef" for 0..14; "Jurist" for 17 and 101; else by `i % 5`
  (Undersköterska, Lärare, Handläggare, Ingenjör, Administratör);
- digital role model: `i % 10 == 9`; inactive (left): 196..199;
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

The dev platform's people are in it, so `make run` users can try the pages:
Karin Lund (KARIN1003) is team leader 3, Anna Andersson (ANNA1001) is 24 and
reports to her, Maria Nilsson (MARIA1004), the administrator, heads unit 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.frameworks import digcomp
from competence.instruments import shipped_documents, shipped_instruments
from competence.maturity import maturity_document, maturity_framework, maturity_instrument
from competence.scoring import score
from storage.assessments import Attempt, AttemptStatus
from storage.attempts import store_instrument
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


class AlreadySeeded(Exception):
    pass


def leader_of(i: int) -> int | None:
    if i < 3:
        return None
    if i < 15:
        return i % 3
    return 3 + i % 3 + 3 * ((i // 3) % 4)


def gender_of(i: int) -> str:
    return "other" if i in (5, 50, 100) else ("woman" if (i // 4) % 2 == 0 else "man")


def role_of(i: int) -> str:
    if i < 15:
        return "Chef"
    if i in (17, 101):
        return "Jurist"
    return ROLES[i % 5]


def _at(year: int, month: int, i: int, hour: int = 9) -> datetime:
    return datetime(year, month, 1 + i % 28, hour, tzinfo=UTC)


def seed_programme(session: Session, organisation_id: int, issuer: str, size: int = SIZE) -> int:
    """Create the organisation's staff, attempts, plans and survey answers; returns its size.

    `size` other than 200 (at least 100) is for benchmarks: the same rules, the last four
    inactive.

    `issuer` is the issuer the people's LTI identities belong to (the organisation's
    platform), so the demo people launching from it are these employees.
    """
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
    units = [Unit(organisation_id=organisation_id, code=code, name=name) for code, name in UNITS]
    session.add_all(units)
    employees: list[Employee] = []
    for i in range(size):
        number, subject, given, family = DEMO_PEOPLE.get(
            i, (f"E{i:04d}", f"seed-{i:04d}", GIVEN[i % 10], FAMILY[(i // 10) % 10])
        )
        email = f"{number.lower()}@seed.invalid"
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
            email=email,
            name=f"{given} {family}",
            gender=gender_of(i),
            digital_role_model=i % 10 == 9,
            active=i < size - 4,
            person=person,
        )
        employees.append(employee)
    session.add_all(employees)
    session.flush()
    for i, employee in enumerate(employees):
        leader = leader_of(i)
        session.add(
            Employment(
                employee_id=employee.id,
                unit_id=units[i % 3].id,
                manager_id=None if leader is None else employees[leader].id,
                role_title=role_of(i),
                valid_from=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )
    _seed_assessments(session, employees, short_row.id)
    _seed_plans(session, organisation_id, employees)
    _seed_survey(session, employees, survey_row.id)
    session.flush()
    return size


def _short_result(option_index: int) -> tuple[dict, int]:
    instrument = shipped_instruments()[SHORT]
    answers = {item.id: item.options[option_index].id for item in instrument.items}
    result = score(instrument, digcomp(), answers)
    return result.to_document(), result.overall_level


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
    )


def _seed_assessments(session: Session, employees: list[Employee], instrument_id: int) -> None:
    for i, employee in enumerate(employees):
        first = 1 + i % 3
        person_id = employee.person.id
        if i % 2 == 0:
            submitted = _short_result(first) if i % 4 == 0 else (None, None)
            session.add(_attempt(person_id, instrument_id, _at(2025, 3, i), *submitted))
        if i % 4 == 0:
            second = first + 1 if i % 8 == 0 else first
            session.add(_attempt(person_id, instrument_id, _at(2026, 2, i), *_short_result(second)))
        elif i % 4 == 1:
            session.add(_attempt(person_id, instrument_id, _at(2026, 2, i), *_short_result(first)))
        elif i % 4 == 3:
            session.add(_attempt(person_id, instrument_id, _at(2026, 2, i)))


def _first_report(employees: list[Employee], leader: int) -> Employee:
    return next(employees[i] for i in range(15, len(employees)) if leader_of(i) == leader)


def _seed_plans(session: Session, organisation_id: int, employees: list[Employee]) -> None:
    agreements = {
        leader: (datetime(2026, 4, 10, 10, tzinfo=UTC),) * 2 for leader in (3, 5, 7, 9, 11, 13)
    }
    agreements[4] = (datetime(2026, 4, 10, 10, tzinfo=UTC), None)
    agreements[6] = (datetime(2025, 5, 5, 10, tzinfo=UTC),) * 2
    for leader, (employee_agreed, manager_agreed) in agreements.items():
        employee = _first_report(employees, leader)
        year = str(employee_agreed.year)
        plan = DevelopmentPlan(
            organisation_id=organisation_id, employee_id=employee.id, period=year
        )
        plan.versions.append(
            PlanVersion(
                number=1,
                targets={"1.1": 4},
                items=[{"key": "g:1", "goal": "Lär mig delade dokument", "due": f"{year}-12-01"}],
                created_by_person_id=employees[leader].person.id,
                employee_agreed_at=employee_agreed,
                manager_agreed_at=manager_agreed,
                # Karin (3) agrees without a recorded manager: the count falls back on HR's data.
                manager_person_id=None if leader == 3 else employees[leader].person.id,
            )
        )
        session.add(plan)


def _seed_survey(session: Session, employees: list[Employee], instrument_id: int) -> None:
    instrument, framework = maturity_instrument(), maturity_framework()
    for i, employee in enumerate(employees):
        for year, skipped, lift in ((2025, 0, 0), (2026, 1, 1)):
            if i % 5 == skipped:
                continue
            answers = {}
            for k, area in enumerate(AREAS):
                level = min(4, (i + k) % 5 + lift)
                item = instrument.item(area)
                answers[area] = next(o.id for o in item.options if o.level == level)
            result = score(instrument, framework, answers)
            session.add(
                _attempt(
                    employee.person.id,
                    instrument_id,
                    _at(year, 10, i),
                    result.to_document(),
                    result.overall_level,
                )
            )
