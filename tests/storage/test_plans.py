"""Development plans, called directly: versions, both confirmations, items done once."""

import uuid

import pytest
from sqlalchemy import select

from storage import CompletionEvent, Employee, LearningActivity, Organisation, Person
from storage.plans import (
    add_comment,
    complete_item,
    completions,
    confirm,
    current_period,
    latest_agreed,
    latest_plan,
    matching_plan_item,
    plan_for_period,
    save_version,
)

COURSE = "https://moodle.example/course/view.php?id=7"


@pytest.fixture
def people(database) -> tuple[int, int, int]:
    """The employee's id, then two managers' person ids."""
    with database.transaction() as session:
        organisation = Organisation(slug=f"o-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        managers = [
            Person(organisation_id=organisation.id, issuer=organisation.slug, subject=subject)
            for subject in ("eva", "asa")
        ]
        row = Employee(organisation_id=organisation.id, employee_number="1", name="Per Personal")
        session.add_all([*managers, row])
        session.flush()
        return row.id, managers[0].id, managers[1].id


@pytest.fixture
def employee(people) -> int:
    return people[0]


def agreed_plan(session, people, items: list[dict]):
    """A plan for this year whose first version the employee and a manager agreed."""
    employee_id, manager, _other = people
    plan = plan_for_period(session, session.get(Employee, employee_id), current_period())
    version = save_version(
        session,
        plan,
        targets={"1.1": 4},
        items=items,
        attempt_id=None,
        role_profile_key=None,
        created_by_person_id=None,
    )
    confirm(version, as_employee=True, person_id=manager)  # the employee's person: any here
    confirm(version, as_employee=False, person_id=manager)
    return plan


def test_a_saved_change_is_a_new_version_and_the_agreed_one_stays(database, people, employee):
    with database.transaction() as session:
        plan = agreed_plan(session, people, [{"key": "g:1", "goal": "Teams-möten"}])
        changed = save_version(
            session,
            plan,
            targets={"1.1": 5},
            items=[],
            attempt_id=None,
            role_profile_key=None,
            created_by_person_id=None,
        )

        assert [v.number for v in plan.versions] == [1, 2]
        assert latest_agreed(plan).number == 1 and not changed.agreed
        assert latest_plan(session, employee).id == plan.id
        assert plan_for_period(session, plan.employee, current_period()).id == plan.id


def test_a_version_is_agreed_only_when_employee_and_manager_have_both_confirmed(
    database, people, employee
):
    _employee, manager, other_manager = people
    with database.transaction() as session:
        plan = plan_for_period(session, session.get(Employee, employee), "2026")
        version = save_version(
            session,
            plan,
            targets={},
            items=[],
            attempt_id=None,
            role_profile_key=None,
            created_by_person_id=None,
        )
        confirm(version, as_employee=True, person_id=manager)
        assert latest_agreed(plan) is None

        confirm(version, as_employee=False, person_id=manager)
        first = version.manager_agreed_at
        confirm(version, as_employee=False, person_id=other_manager)  # a second "yes"

        assert latest_agreed(plan) is version
        assert (version.manager_agreed_at, version.manager_person_id) == (first, manager)


def test_an_item_done_twice_is_recorded_once_with_one_completion_event(database, people):
    with database.transaction() as session:
        plan = agreed_plan(session, people, [{"key": "g:1", "goal": "Teams-möten"}])

        assert complete_item(session, plan.id, "g:1", "employee") is not None
        assert complete_item(session, plan.id, "g:1", "moodle") is None

        assert set(completions(session, plan.id)) == {"g:1"}
        events = session.scalars(
            select(CompletionEvent).where(CompletionEvent.plan_id == plan.id)
        ).all()
        assert [(e.source, e.plan_item_key, e.evidence["completed_by"]) for e in events] == [
            ("tool.plan_item", "g:1", "employee")
        ]


def test_a_finished_course_matches_the_agreed_item_that_names_it_until_it_is_done(
    database, people, employee
):
    with database.transaction() as session:
        activity = LearningActivity(
            organisation_id=session.get(Employee, employee).organisation_id,
            title="Teams",
            kind="course",
            url=COURSE,
            framework_key="digcomp-2.2",
        )
        session.add(activity)
        session.flush()
        plan = agreed_plan(session, people, [{"key": "a:1", "activity_id": activity.id}])

        assert matching_plan_item(session, employee, {COURSE}) == (plan.id, "a:1")
        assert matching_plan_item(session, employee, {"https://elsewhere"}) is None

        complete_item(session, plan.id, "a:1", "moodle")
        assert matching_plan_item(session, employee, {COURSE}) is None


def test_a_comment_belongs_to_the_version_it_was_written_on(database, people):
    with database.transaction() as session:
        plan = agreed_plan(session, people, [])
        comment = add_comment(session, plan, people[1], "Bra samtal")

        assert (comment.version_number, comment.text) == (1, "Bra samtal")
