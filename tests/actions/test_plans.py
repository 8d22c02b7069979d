"""The development dialogue's changes, called as the page calls them: each is saved when the
function returns, nothing agreed is rewritten, and only the newest version can be agreed."""

from __future__ import annotations

import uuid

import pytest

from actions.plans import (
    NewerVersionSaved,
    comment_on_plan,
    confirm_plan_version,
    save_plan_version,
)
from storage import Employee, Organisation, Person
from storage.plans import latest_agreed, latest_plan


@pytest.fixture
def people(clean_database) -> tuple[int, int, int]:
    """The employee's id, her person id and her manager's person id."""
    with clean_database.transaction() as session:
        organisation = Organisation(slug=f"o-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        her, manager = (
            Person(organisation_id=organisation.id, issuer=organisation.slug, subject=subject)
            for subject in ("anna", "majken")
        )
        session.add_all([her, manager])
        session.flush()
        employee = Employee(
            organisation_id=organisation.id,
            employee_number="1",
            name="Anna Andersson",
            person_id=her.id,
        )
        session.add(employee)
        session.flush()
        return employee.id, her.id, manager.id


def save(database, employee_id: int, by: int, goal: str) -> int:
    """A version saved as the page saves it, in a session of its own; its number."""
    with database.sessions() as session:
        employee = session.get(Employee, employee_id)
        version = save_plan_version(
            session,
            employee,
            latest_plan(session, employee_id),
            targets={"1.1": 3},
            items=[{"key": "g:1", "goal": goal, "due": None}],
            attempt_id=None,
            role_profile_key=None,
            by_person_id=by,
        )
        return version.number


def test_saving_starts_this_years_plan_and_a_second_save_is_a_new_version(clean_database, people):
    employee_id, her, manager = people

    first = save(clean_database, employee_id, manager, "Lär dig Teams")
    second = save(clean_database, employee_id, her, "Lär dig Teams och OneDrive")

    with clean_database.sessions() as session:  # a new session sees what was committed
        plan = latest_plan(session, employee_id)
        assert (first, second) == (1, 2)
        assert [v.items[0]["goal"] for v in plan.versions] == [
            "Lär dig Teams",
            "Lär dig Teams och OneDrive",
        ]


def test_a_version_is_agreed_when_both_confirm_it_and_stays_agreed(clean_database, people):
    employee_id, her, manager = people
    number = save(clean_database, employee_id, manager, "Lär dig Teams")

    with clean_database.sessions() as session:
        confirm_plan_version(session, employee_id, number, as_employee=False, person_id=manager)
        assert latest_agreed(latest_plan(session, employee_id)) is None
        confirm_plan_version(session, employee_id, number, as_employee=True, person_id=her)

    with clean_database.sessions() as session:
        agreed = latest_agreed(latest_plan(session, employee_id))
        assert agreed is not None and agreed.number == number


def test_confirming_a_version_someone_saved_over_is_refused_and_changes_nothing(
    clean_database, people
):
    employee_id, her, manager = people
    first = save(clean_database, employee_id, manager, "Lär dig Teams")
    save(clean_database, employee_id, her, "Lär dig OneDrive")

    with clean_database.sessions() as session:
        with pytest.raises(NewerVersionSaved):
            confirm_plan_version(session, employee_id, first, as_employee=True, person_id=her)
        assert (
            confirm_plan_version(session, employee_id, 99, as_employee=True, person_id=her) is None
        )

    with clean_database.sessions() as session:
        plan = latest_plan(session, employee_id)
        assert all(v.employee_agreed_at is None for v in plan.versions)


def test_a_comment_before_any_plan_starts_this_years_plan_and_is_kept(clean_database, people):
    employee_id, her, _manager = people

    with clean_database.sessions() as session:
        comment_on_plan(session, session.get(Employee, employee_id), her, "Kan vi ta det i maj?")

    with clean_database.sessions() as session:
        plan = latest_plan(session, employee_id)
        assert [c.text for c in plan.comments] == ["Kan vi ta det i maj?"]
