"""The seeded organisation's indicators equal what was worked out by hand from its rules.

The rules are in storage/programme_seed.py (everything follows from the employee's
index i, 0..199).  Employees 196..199 have left, so every period counts i = 0..195:
196 people, 49 of each residue of i % 4, 19 digital role models (9, 19, ..., 189).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from competence import programme as p
from competence.frameworks import digcomp
from competence.maturity import MATURITY_INSTRUMENT, maturity_framework
from storage import Attempt, AttemptStatus, Employee, Employment, Organisation, Unit
from storage.programme_data import latest_result_sums, organisation_facts
from storage.programme_seed import seed_programme
from tests.conftest import _empty_tables

NOW = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture(scope="module")
def facts(database) -> p.OrganisationFacts:
    """Seeded once for the module (the rows are only read), emptied afterwards."""
    with database.transaction() as session:
        organisation = Organisation(slug="seeded", name="Seedad kommun")
        session.add(organisation)
        session.flush()
        seed_programme(session, organisation.id, "https://seed.invalid")
        organisation_id = organisation.id
    with database.sessions() as session:
        yield organisation_facts(session, organisation_id)
    _empty_tables(database)


def shown(figure: p.Figure):
    return None if figure.hidden else (figure.count, figure.people)


def test_the_indicators_of_2026_equal_the_hand_computed_ones(facts):
    total = p.split_figures(p.outcomes(facts, p.parse_period("2026", NOW)), None).total
    assert {k: shown(f) for k, f in total.items()} == {
        "employees": (196, 196),
        # February 2026: i % 4 == 0 (second attempt), 1 (first) and 3 (left open): 3 * 49.
        "started": (147, 196),
        # i % 4 == 0 or 1 submit: 2 * 49.
        "finished": (98, 196),
        # Two submitted attempts: i % 4 == 0 (49 people); one option higher when i % 8 == 0:
        # 0, 8, ..., 192 = 25 people.
        "rose": (25, 49),
        # Managers 0..14; leaders 3, 5, 7, 9, 11, 13 agreed in April 2026 (leader 4's plan
        # lacks the manager's agreement, leader 6 agreed in 2025).
        "managers_agreed": (6, 15),
        "role_models": (19, 196),
        # Respondents: i % 5 != 1 (196 - 39 = 157); ways-of-working level
        # min(4, (i + 1) % 5 + 1) >= 3 when i % 5 is 1, 2 or 3, so i % 5 in {2, 3}: 2 * 39.
        "digital_ways": (78, 157),
    }


def test_the_indicators_of_2025_and_of_a_quarter(facts):
    total_2025 = p.split_figures(p.outcomes(facts, p.parse_period("2025", NOW)), None).total
    assert {k: shown(f) for k, f in total_2025.items()} == {
        "employees": (196, 196),
        "started": (98, 196),  # even i, March 2025
        "finished": (49, 196),  # i % 4 == 0
        "rose": None,  # nobody had two submitted attempts by the end of 2025
        "managers_agreed": (1, 15),  # leader 6, May 2025
        "role_models": (19, 196),
        # Respondents i % 5 != 0 (196 - 40 = 156); level (i + 1) % 5 >= 3: i % 5 in {2, 3}.
        "digital_ways": (78, 156),
    }
    q2 = p.split_figures(p.outcomes(facts, p.parse_period("2026-Q2", NOW)), None).total
    assert shown(q2["started"]) == (0, 196)  # nothing started in April to June
    assert shown(q2["managers_agreed"]) == (6, 15)  # the plans of 10 April 2026
    assert q2["digital_ways"].hidden  # the survey is answered in October


def test_by_gender_the_small_group_and_one_more_are_hidden(facts):
    split = p.split_figures(p.outcomes(facts, p.parse_period("2026", NOW)), "gender")
    # Women: (i // 4) % 2 == 0, i.e. i % 8 in 0..3: 24 blocks of 8 give 96, and 192..195
    # four more: 100, less 50 (other) = 99.  Men: the other 96, less 5 and 100 = 94.
    # Other: 3 people.
    assert split.groups == ["woman", "man", "other"]
    employees = {g: split.by_group[g]["employees"] for g in split.groups}
    assert [f.people for f in employees.values()] == [99, 94, 3]
    # "Other" (3) is hidden; then the smallest visible group (men, 94) too, or
    # 196 - 99 - 94 would give the other group's 3 back.
    assert [f.hidden for f in employees.values()] == [False, True, True]
    women = {k: shown(f) for k, f in split.by_group["woman"].items()}
    assert women == {
        "employees": (99, 99),
        # i % 8 in {0, 1, 3} started: 3 in each of 24 blocks of 8, and 192, 193, 195.
        "started": (75, 99),
        # i % 8 in {0, 1}: 2 * 24 + 192, 193.
        "finished": (50, 99),
        # Women with two attempts are i % 8 == 0 (0..192: 25), and all of them rose.
        "rose": (25, 25),
        # Women managers 0, 1, 2, 3, 8, 9, 10, 11; of them 3, 9, 11 agreed a plan.  Men
        # managers are 6 and "other" 1 (employee 5): 1 is hidden, then men (6) as well.
        "managers_agreed": (3, 8),
        # 9, 19, 49, 59, 89, 99, 129, 139, 169, 179.
        "role_models": (10, 99),
        # Per 40 numbers, the 20 women's residues hold 16 respondents (i % 5 != 1) and 8
        # yes (i % 5 in {2, 3}); 0..195 holds five such sets: 80 and 40, less employee 50
        # (a respondent answering no, counted as other): 79 and 40.
        "digital_ways": (40, 79),
    }
    assert split.by_group["man"]["managers_agreed"].hidden
    assert split.by_group["other"]["managers_agreed"].hidden
    for group in split.groups:
        for figure in split.by_group[group].values():
            assert figure.hidden or figure.people >= p.MIN_GROUP


def test_the_radar_sums_from_the_database_equal_the_means_worked_out_in_python(facts, database):
    """The organisation radar's means are added up by the database; they must equal what
    `members`, `latest_results` and `profiles_by_unit` give from the rows, also for a
    move between units, a leaver, an employment without a unit, an attempt left open and
    a result without areas (the maturity survey's newer answers are of another framework)."""
    issuer = "https://moves.invalid"
    with database.transaction() as session:
        organisation = Organisation(slug="moves", name="Flyttande kommun")
        session.add(organisation)
        session.flush()
        seed_programme(session, organisation.id, issuer)
        organisation_id = organisation.id
        employees = {
            int(e.employee_number[1:]): e
            for e in session.scalars(
                select(Employee).where(Employee.organisation_id == organisation_id)
            )
            if e.employee_number.startswith("E")
        }
        moved = session.scalar(select(Employment).where(Employment.employee_id == employees[32].id))
        moved.valid_to = datetime(2026, 3, 1, tzinfo=UTC)  # from Samhällsbyggnad
        session.add(
            Employment(
                employee_id=employees[32].id,
                unit_id=session.scalar(
                    select(Unit.id).where(
                        Unit.organisation_id == organisation_id, Unit.code == "SOC"
                    )
                ),
                role_title="Handläggare",
                valid_from=datetime(2026, 3, 1, tzinfo=UTC),
            )
        )
        employees[40].active = False
        session.scalar(
            select(Employment).where(Employment.employee_id == employees[56].id)
        ).unit_id = None
        instrument_id = session.scalar(
            select(Attempt.instrument_id).where(Attempt.person_id == employees[44].person_id)
        )
        later = datetime(2026, 5, 1, tzinfo=UTC)
        # A newer attempt left open does not count; a result with no area assessed does,
        # with no value on any axis.
        for employee, result in ((employees[44], None), (employees[48], {"areas": {}})):
            session.add(
                Attempt(
                    person_id=employee.person_id,
                    instrument_id=instrument_id,
                    status=AttemptStatus.IN_PROGRESS if result is None else AttemptStatus.SUBMITTED,
                    started_at=later,
                    submitted_at=None if result is None else later,
                    result=result,
                    overall_level=None if result is None else 0,
                )
            )
    axes = [area.id for area in digcomp().areas]
    with database.sessions() as session:
        moves = organisation_facts(session, organisation_id)
        for key in ("2024", "2025", "2026", "2026-Q1", "2026-Q2"):
            period = p.parse_period(key, NOW)
            latest = p.latest_results(moves.attempts, framework_key="digcomp-2.2", until=period.end)
            expected = p.profiles_by_unit(p.members(moves, period), latest, axes)
            sums = latest_result_sums(session, organisation_id, period, "digcomp-2.2", axes)
            assert p.profiles_from_sums(sums, axes) == expected, key
    assert expected.units["Socialtjänsten"].people > 5  # 2026-Q2 had results to compare


def test_the_indicators_need_no_result_documents_but_the_survey_answer(facts, database):
    """/programme counts from facts without the result documents (documents=False): every
    indicator, split and period comes out as from the whole documents."""
    with database.sessions() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == "seeded")
        )
        slim = organisation_facts(session, organisation_id, documents=False)
    # The survey answers: 160 in 2025 (i % 5 != 0) and 160 in 2026 (i % 5 != 1); and the
    # competences of each finished assessment, which "rose" compares: i % 4 == 0 in 2025
    # (50 of i = 0..199), i % 4 in {0, 1} in 2026 (100).
    assert sum(a.result is not None for a in slim.attempts) == 320 + 150
    assert all(set(a.result) == {"competences"} for a in slim.attempts if a.result is not None)
    for key in ("2024", "2025", "2026", "2026-Q2", "2026-Q4"):
        period = p.parse_period(key, NOW)
        for split in (None, *p.SPLITS):
            assert p.split_figures(p.outcomes(slim, period), split) == p.split_figures(
                p.outcomes(facts, period), split
            ), (key, split)
    history = p.Period(2026).history(3)
    assert p.over_time(slim, history) == p.over_time(facts, history)


def test_the_maturity_pages_tables_need_only_the_surveys_documents(facts, database):
    with database.sessions() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == "seeded")
        )
        surveys = organisation_facts(session, organisation_id, documents={MATURITY_INSTRUMENT})
    assert all(
        (a.result is not None) == (a.instrument_key == MATURITY_INSTRUMENT)
        for a in surveys.attempts
    )
    years = p.Period(2026).history(3)
    axes = [area.id for area in maturity_framework().areas]
    assert p.maturity_by_year(surveys, years, axes) == p.maturity_by_year(facts, years, axes)
