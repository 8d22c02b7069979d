"""Development plans as stored: every change a new version, agreed when both confirmed,
items done once, and the finished assessment and role profile a dialogue starts from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import (
    Attempt,
    AttemptStatus,
    DevelopmentPlan,
    Employee,
    LearningActivity,
    Organisation,
    RoleProfile,
)
from storage.attempts import latest_submitted_attempt, store_instrument
from storage.completions import CompletionEvent
from storage.frameworks import role_profile_for
from storage.people import Person
from storage.plans import (
    add_comment,
    complete_item,
    completions,
    confirm,
    current_period,
    latest_agreed,
    latest_plan,
    matching_plan_item,
    people_names,
    plan_for_period,
    save_version,
)

COURSE = "https://moodle.example.se/course/view.php?id=4"


def an_employee(session, name: str = "Per Personalsson") -> Employee:
    slug = f"org-{uuid.uuid4().hex[:8]}"
    organisation = Organisation(slug=slug, name="Umeå kommun")
    session.add(organisation)
    session.flush()
    person = Person(
        organisation_id=organisation.id,
        issuer=f"https://{slug}.example.se",
        subject="3",
        name=name,
    )
    session.add(person)
    session.flush()
    employee = Employee(
        organisation_id=organisation.id, employee_number="3", name=name, person_id=person.id
    )
    session.add(employee)
    session.flush()
    return employee


def a_version(session, employee: Employee, items: list[dict], *, agreed: bool = True):
    plan = plan_for_period(session, employee, "2026")
    version = save_version(
        session,
        plan,
        targets={"2.1": 4},
        items=items,
        attempt_id=None,
        role_profile_key=None,
        created_by_person_id=employee.person_id,
    )
    if agreed:
        confirm(version, as_employee=True, person_id=employee.person_id)
        confirm(version, as_employee=False, person_id=employee.person_id)
    return plan, version


def test_a_plan_is_yearly_and_made_once_per_year(database):
    with database.transaction() as session:
        employee = an_employee(session)

        first = plan_for_period(session, employee, "2026")
        again = plan_for_period(session, employee, "2026")
        next_year = plan_for_period(session, employee, "2027")

        assert first.id == again.id != next_year.id
        assert latest_plan(session, employee.id).id == next_year.id
        assert current_period(datetime(2026, 3, 1, tzinfo=UTC)) == "2026"


def test_saving_twice_makes_two_versions_and_rewrites_nothing(database):
    with database.transaction() as session:
        employee = an_employee(session)
        plan, first = a_version(session, employee, [{"key": "g:1", "goal": "Teams"}])

        _, second = a_version(session, employee, [{"key": "g:2", "goal": "Mejl"}], agreed=False)

        assert [v.number for v in plan.versions] == [1, 2]
        assert first.items == [{"key": "g:1", "goal": "Teams"}]
        assert latest_agreed(plan) is first  # the newest waits for both to confirm


def test_a_version_is_agreed_once_both_confirmed_and_confirming_twice_keeps_the_first(database):
    with database.transaction() as session:
        employee = an_employee(session)
        manager = an_employee(session, "Mona Chef")
        _, version = a_version(session, employee, [], agreed=False)

        confirm(version, as_employee=True, person_id=employee.person_id)
        assert not version.agreed
        confirm(version, as_employee=False, person_id=manager.person_id)
        first = (version.employee_agreed_at, version.manager_agreed_at)
        confirm(version, as_employee=False, person_id=employee.person_id)
        confirm(version, as_employee=True, person_id=employee.person_id)

        assert version.agreed
        assert (version.employee_agreed_at, version.manager_agreed_at) == first
        assert version.manager_person_id == manager.person_id


def test_a_comment_belongs_to_the_version_it_was_written_on(database):
    with database.transaction() as session:
        employee = an_employee(session)
        plan, _ = a_version(session, employee, [])

        comment = add_comment(session, plan, employee.person_id, "Bra samtal")

        assert (comment.version_number, comment.text) == (1, "Bra samtal")
        assert people_names(session, {employee.person_id, None}) == {
            employee.person_id: "Per Personalsson"
        }
        assert people_names(session, {None}) == {}


def test_an_item_is_done_once_and_is_a_completion_event(database):
    with database.transaction() as session:
        employee = an_employee(session)
        plan, _ = a_version(session, employee, [{"key": "g:1", "goal": "Teams"}])

        done = complete_item(session, plan.id, "g:1", source="employee", evidence={"n": 1})
        again = complete_item(session, plan.id, "g:1", source="moodle.course")

        assert done is not None and again is None
        assert completions(session, plan.id) == {"g:1": done.completed_at}
        [event] = session.scalars(
            select(CompletionEvent).where(CompletionEvent.plan_id == plan.id)
        ).all()
        assert (event.kind, event.source_key, event.employee_id) == (
            "plan_item",
            f"{plan.id}:g:1",
            employee.id,
        )
        assert event.evidence == {"n": 1, "completed_by": "employee"}


def test_a_course_completion_matches_the_agreed_item_of_its_course_until_it_is_done(database):
    with database.transaction() as session:
        employee = an_employee(session)
        activity = LearningActivity(
            organisation_id=employee.organisation_id,
            title="Kurs",
            kind="course",
            url=COURSE,
            framework_key="digcomp-2.2",
            builds=[],
        )
        session.add(activity)
        session.flush()
        key = f"a:{activity.id}"
        plan, _ = a_version(session, employee, [{"key": key, "activity_id": activity.id}])

        assert matching_plan_item(session, employee.id, {COURSE}) == (plan.id, key)
        assert matching_plan_item(session, employee.id, {"https://other.example"}) is None
        assert matching_plan_item(session, None, {COURSE}) is None

        complete_item(session, plan.id, key, source="employee")

        assert matching_plan_item(session, employee.id, {COURSE}) is None


def test_an_item_only_in_a_version_not_yet_agreed_is_matched_by_nothing(database):
    with database.transaction() as session:
        employee = an_employee(session)
        activity = LearningActivity(
            organisation_id=employee.organisation_id,
            title="Kurs",
            kind="course",
            url=COURSE,
            framework_key="digcomp-2.2",
            builds=[],
        )
        session.add(activity)
        session.flush()
        a_version(
            session,
            employee,
            [{"key": f"a:{activity.id}", "activity_id": activity.id}],
            agreed=False,
        )

        assert matching_plan_item(session, employee.id, {COURSE}) is None


def test_the_dialogue_starts_from_the_newest_assessment_that_assessed_something(database):
    from competence.frameworks import digcomp
    from competence.instruments import shipped_documents, shipped_instruments

    with database.transaction() as session:
        employee = an_employee(session)
        instrument = shipped_instruments()["digcomp-2.2-short"]
        row = store_instrument(
            session, instrument, digcomp(), shipped_documents()["digcomp-2.2-short"]
        )
        day = datetime(2026, 5, 1, tzinfo=UTC)
        finished, empty = (
            Attempt(
                person_id=employee.person_id,
                instrument_id=row.id,
                status=AttemptStatus.SUBMITTED,
                submitted_at=day + timedelta(days=n),
                overall_level=level,
            )
            for n, level in ((0, 3), (1, None))
        )
        session.add_all([finished, empty])
        session.flush()

        assert latest_submitted_attempt(session, employee.person_id).id == finished.id
        assert latest_submitted_attempt(session, employee.person_id, {instrument.id}) is not None
        assert latest_submitted_attempt(session, employee.person_id, {"other"}) is None
        assert latest_submitted_attempt(session, employee.person_id, set()) is None


def test_a_role_profile_is_found_by_its_key_or_any_of_its_names(database):
    with database.transaction() as session:
        employee = an_employee(session)
        profile = RoleProfile(
            organisation_id=employee.organisation_id,
            framework_key="digcomp-2.2",
            key="larare",
            name={"sv": "Lärare", "en": "Teacher"},
        )
        session.add(profile)
        session.flush()

        for title in ("larare", " LÄRARE ", "teacher"):
            assert role_profile_for(session, employee.organisation_id, title) is profile, title
        assert role_profile_for(session, employee.organisation_id, "Rektor") is None
        assert role_profile_for(session, employee.organisation_id, None) is None


def test_no_plan_has_nothing_agreed(database):
    with database.sessions() as session:
        assert latest_agreed(None) is None
        assert session.get(DevelopmentPlan, 2_000_000_000) is None
