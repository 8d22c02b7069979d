"""The seeded organisation's indicators equal what was worked out by hand from its rules.

The rules are in lti_tool/dev_platform/programme_seed.py (everything follows from the employee's
index i, 0..199).  Employees 196..199 left at the end of 2023, so every period employs
i = 0..195: 196 people, 49 of each residue of i % 4, 19 digital role models (9, 19, ...,
189).  Three of them are of another gender (5, 50 and 100), too few to be a group of
their own: they are left out of every figure they would be in (competence.programme),
so that women and men can be shown and nobody can work the three out.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from competence import programme as p
from competence.frameworks import digcomp
from competence.maturity import MATURITY_INSTRUMENT, maturity_framework
from competence.staff_list import StaffRow
from lti_tool.dev_platform.programme_seed import seed_programme
from storage import Attempt, AttemptStatus, Employee, Employment, Organisation, Unit
from storage.hr_import import apply_staff_list
from storage.programme_data import latest_result_sums, organisation_facts
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
        # 196 less the three of another gender.
        "employees": (193, 193),
        # February 2026: i % 4 == 0 (second attempt), 1 (first) and 3 (left open): 3 * 49,
        # less 5 and 100 (left out).
        "started": (145, 193),
        # i % 4 == 0 or 1 submit: 2 * 49, less 5 and 100.
        "finished": (96, 193),
        # Two submitted attempts: i % 4 == 0 (49 people, less 100); one option higher when
        # i % 8 == 0: 0, 8, ..., 192 = 25 people.
        "rose": (25, 48),
        # Managers 0..14, less 5; leaders 3, 7, 9, 11, 13 agreed in April 2026 (and 5, left
        # out; leader 4's plan lacks the manager's agreement, leader 6 agreed in 2025).
        "managers_agreed": (5, 14),
        "role_models": (19, 193),
        # Respondents: i % 5 != 1 (196 - 39 = 157, less 5, 50 and 100); ways-of-working
        # level min(4, (i + 1) % 5 + 1) >= 3 when i % 5 is 1, 2 or 3, so i % 5 in {2, 3}:
        # 2 * 39.
        "digital_ways": (78, 154),
    }


def test_the_indicators_of_2025_and_of_a_quarter(facts):
    total_2025 = p.split_figures(p.outcomes(facts, p.parse_period("2025", NOW)), None).total
    assert {k: shown(f) for k, f in total_2025.items()} == {
        "employees": (193, 193),
        "started": (96, 193),  # even i, March 2025, less 50 and 100
        "finished": (48, 193),  # i % 4 == 0, less 100
        "rose": None,  # nobody had two submitted attempts by the end of 2025
        "managers_agreed": (1, 14),  # leader 6, May 2025
        "role_models": (19, 193),
        # Respondents i % 5 != 0 (196 - 40 = 156); level (i + 1) % 5 >= 3: i % 5 in {2, 3}.
        # None of the three of another gender answered in 2025: nobody is left out.
        "digital_ways": (78, 156),
    }
    q2 = p.split_figures(p.outcomes(facts, p.parse_period("2026-Q2", NOW)), None).total
    assert shown(q2["started"]) == (0, 193)  # nothing started in April to June
    assert shown(q2["managers_agreed"]) == (5, 14)  # the plans of 10 April 2026
    assert q2["digital_ways"].hidden  # the survey is answered in October


def test_by_gender_women_and_men_are_both_shown_and_the_three_others_left_out(facts):
    split = p.split_figures(p.outcomes(facts, p.parse_period("2026", NOW)), "gender")
    # Women: (i // 4) % 2 == 0, i.e. i % 8 in 0..3: 24 blocks of 8 give 96, and 192..195
    # four more: 100, less 50 (other) = 99.  Men: the other 96, less 5 and 100 = 94.
    # Another gender or not stated: 3 people, left out of every figure (totals too).
    assert split.groups == ["woman", "man", "other_or_unknown"]
    women = {k: shown(f) for k, f in split.by_group["woman"].items()}
    assert women == {
        "employees": (99, 99),
        # i % 8 in {0, 1, 3} started: 3 in each of 24 blocks of 8, and 192, 193, 195.
        "started": (75, 99),
        # i % 8 in {0, 1}: 2 * 24 + 192, 193.
        "finished": (50, 99),
        # Women with two attempts are i % 8 == 0 (0..192: 25), and all of them rose.
        "rose": (25, 25),
        # Women managers 0, 1, 2, 3, 8, 9, 10, 11; of them 3, 9, 11 agreed a plan.
        "managers_agreed": (3, 8),
        # 9, 19, 49, 59, 89, 99, 129, 139, 169, 179.
        "role_models": (10, 99),
        # Per 40 numbers, the 20 women's residues hold 16 respondents (i % 5 != 1) and 8
        # yes (i % 5 in {2, 3}); 0..195 holds five such sets: 80 and 40, less employee 50
        # (a respondent answering no, of another gender): 79 and 40.
        "digital_ways": (40, 79),
    }
    men = {k: shown(f) for k, f in split.by_group["man"].items()}
    assert men == {
        "employees": (94, 94),
        # i % 8 in {4, 5, 7}: 3 in each of 24 blocks, less 5 and 100.
        "started": (70, 94),
        # i % 8 in {4, 5}: 48, less 5 and 100.
        "finished": (46, 94),
        # Two attempts: i % 8 == 4 (4..188: 24, less 100); none is i % 8 == 0: none rose.
        "rose": (0, 23),
        # Men managers 4, 6, 7, 12, 13, 14 (5 is of another gender); 7 and 13 agreed.
        "managers_agreed": (2, 6),
        # The other 9 of the 19.
        "role_models": (9, 94),
        # The men's residues hold 64 respondents and 32 yes in 0..159, and 13 and 6 in
        # 160..195: 77 and 38, less 5 and 100 (respondents answering no).
        "digital_ways": (38, 75),
    }
    assert all(f.hidden for f in split.by_group["other_or_unknown"].values())
    # The total is of women and men: nothing is left to subtract.
    for key, total in split.total.items():
        women, men = split.by_group["woman"][key], split.by_group["man"][key]
        assert (total.count, total.people) == (
            women.count + men.count,
            women.people + men.people,
        ), key
    # The same people in every table of the period: without a split, by unit and role,
    # over time.
    for other in (None, "unit", "role"):
        assert p.split_figures(p.outcomes(facts, p.Period(2026)), other).total == split.total
    assert p.over_time(facts, [p.Period(2026)])["2026"] == split.total


def test_the_radar_and_the_maturity_survey_leave_out_whom_the_indicators_leave_out(facts, database):
    """Were the three of another gender counted on the radar or the maturity page, that
    table less the indicators would give their figures back: 49 radar results in 2025
    less 48 finished would say one of them finished, 157 survey answers in 2026 less 154
    that one of them answered."""
    with database.sessions() as session:
        organisation_id = session.scalar(
            select(Organisation.id).where(Organisation.slug == "seeded")
        )
        year = p.Period(2025)
        areas = [area.id for area in digcomp().areas]
        left_out = p.left_out_by_gender(p.members(facts, year))
        radar = p.profiles_from_sums(
            latest_result_sums(
                session, organisation_id, year, "digcomp-2.2", areas, left_out=left_out
            ),
            areas,
        )
    finished = p.split_figures(p.outcomes(facts, year), None).total["finished"]
    # Everyone with a result by the end of 2025 finished in 2025: i % 4 == 0, less 100.
    assert radar.total.people == finished.count == 48
    assert sorted(left_out) == sorted(e.id for e in facts.employees if e.gender == "other")

    surveys = p.maturity_by_year(
        facts, [p.Period(2026)], [a.id for a in maturity_framework().areas]
    )
    ways = p.split_figures(p.outcomes(facts, p.Period(2026)), None).total["digital_ways"]
    answered = surveys["2026"]
    assert answered.total.people == ways.people == 154
    assert (answered.total_digital_ways.count, answered.total_digital_ways.people) == (78, 154)


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
        # A leaver: HR stopped listing them on 1 April 2026 (as storage.hr_import does).
        employees[40].active = False
        session.scalar(
            select(Employment).where(Employment.employee_id == employees[40].id)
        ).valid_to = datetime(2026, 4, 1, tzinfo=UTC)
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


def past_tables(session, organisation_id: int) -> dict:
    """Everything /programme and /programme/maturity show of 2024 and 2025."""
    facts = organisation_facts(session, organisation_id)
    years = [p.Period(2024), p.Period(2025)]
    areas = [area.id for area in digcomp().areas]
    tables: dict = {
        "over time": p.over_time(facts, years),
        "maturity": p.maturity_by_year(
            facts, years, [area.id for area in maturity_framework().areas]
        ),
    }
    for period in (*years, p.Period(2025, 2)):
        for split in (None, *p.SPLITS):
            tables[period.key, split] = p.split_figures(p.outcomes(facts, period), split)
        sums = latest_result_sums(session, organisation_id, period, "digcomp-2.2", areas)
        tables[period.key, "radar"] = p.profiles_from_sums(sums, areas)
    return tables


def test_the_2024_and_2025_tables_stay_the_same_after_a_staff_list_of_six(database):
    """HR sends a list of only six people: 190 employments end today, but everything they
    did in 2024 and 2025 (and where they worked then) still counts for those years.
    (Applied here without the CLI's, the page's and the poll's own checks of such a list.)"""
    with database.transaction() as session:
        organisation = Organisation(slug="partial", name="Halvlistad kommun")
        session.add(organisation)
        session.flush()
        seed_programme(session, organisation.id, "https://partial.invalid")
        organisation_id = organisation.id
    with database.sessions() as session:
        before = past_tables(session, organisation_id)
    assert before["2025", None].total["employees"].count > 190

    with database.transaction() as session:
        six = session.scalars(
            select(Employee)
            .where(Employee.organisation_id == organisation_id, Employee.active.is_(True))
            .order_by(Employee.employee_number)
            .limit(6)
        ).all()
        rows = [
            # All six move to one unit and role today.
            StaffRow(
                line=2 + n,
                employee_id=e.employee_number,
                name=e.name,
                email=e.email,
                unit_code="SOC",
                unit_name="Socialtjänsten",
                role="Handläggare",
                gender=e.gender,
                digital_role_model=e.digital_role_model,
            )
            for n, e in enumerate(six)
        ]
        diff = apply_staff_list(session, organisation_id, rows, now=NOW)
    assert (len(diff.deactivated), len(diff.moved)) == (190, 6)

    with database.sessions() as session:
        after = past_tables(session, organisation_id)
        facts = organisation_facts(session, organisation_id)
    assert after == before
    # From today on, only the six are employed.
    assert len(p.members(facts, p.Period(2027))) == 6
