"""An item of an agreed plan done: by the employee's tick or by a matching completion
elsewhere, it is done once, with one completion event and one xAPI statement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.plan_items import NotInAgreedPlan, complete_plan_item, tick_off_item
from storage import DevelopmentPlan, Launch, PlanVersion, XapiStatement
from storage.completions import CompletionEvent
from sync.completions import own_senders
from sync.dispatcher import deliver_due
from tests.sync.completion_world import (
    COMPLETED,
    completed_items,
    course_completed,
    make_world,
    statements_of,
)

PUBLIC_URL = "https://kompetenslyft.example.se"


def tick(database, world, key: str):
    with database.sessions() as session:
        launch = session.scalar(select(Launch).where(Launch.person_id == world.person_id))
        return tick_off_item(
            session,
            world.employee_id,
            key,
            launch=launch,
            public_url=PUBLIC_URL,
            language="sv",
        )


def item_events(database, world) -> list[str]:
    with database.sessions() as session:
        return list(
            session.scalars(
                select(CompletionEvent.plan_item_key).where(
                    CompletionEvent.organisation_id == world.organisation_id,
                    CompletionEvent.source == "tool.plan_item",
                )
            )
        )


def statement_names(database, world) -> list[dict]:
    with database.sessions() as session:
        return [
            row["object"]["definition"]["name"]
            for row in session.scalars(
                select(XapiStatement.statement).where(
                    XapiStatement.organisation_id == world.organisation_id
                )
            )
        ]


def test_an_employee_ticking_off_an_item_twice_records_it_done_once(database):
    world = make_world(database)

    first = tick(database, world, world.item_keys[1])
    again = tick(database, world, world.item_keys[1])

    assert first is not None and first.source == "employee" and again is None
    assert completed_items(database, world) == [world.item_keys[1]]
    assert item_events(database, world) == [world.item_keys[1]]
    assert statements_of(database, world) == 1


def test_the_statement_names_the_item_by_its_learning_activity_in_the_readers_language(
    database,
):
    world = make_world(database)

    tick(database, world, world.item_keys[2])

    assert statement_names(database, world) == [{"sv": "Kurs 2"}]


def test_an_item_not_in_the_agreed_plan_is_refused_and_nothing_is_written(database):
    world = make_world(database)
    with database.transaction() as session:
        # A newer version with an own goal, which the manager has not confirmed yet.
        session.add(
            PlanVersion(
                plan_id=world.plan_id,
                number=2,
                targets={},
                items=[{"key": "g:1", "goal": "Lära mig Teams", "due": "2026-12-01"}],
                employee_agreed_at=COMPLETED,
            )
        )

    for key in ("g:1", "a:does-not-exist"):
        with pytest.raises(NotInAgreedPlan):
            tick(database, world, key)

    assert completed_items(database, world) == []
    assert statements_of(database, world) == 0 and item_events(database, world) == []


def test_an_own_goal_is_named_by_its_text(database):
    world = make_world(database)
    with database.transaction() as session:
        session.add(
            PlanVersion(
                plan_id=world.plan_id,
                number=2,
                targets={},
                items=[{"key": "g:1", "goal": "Lära mig Teams", "due": "2026-12-01"}],
                employee_agreed_at=COMPLETED,
                manager_agreed_at=COMPLETED,
            )
        )

    tick(database, world, "g:1")

    assert statement_names(database, world) == [{"sv": "Lära mig Teams"}]


def test_an_item_ticked_by_hand_is_not_done_again_by_the_matching_course(database):
    world = make_world(database)
    tick(database, world, world.item_keys[0])

    course_completed(database, world, 0)
    deliver_due(database, own_senders(PUBLIC_URL))

    assert completed_items(database, world) == [world.item_keys[0]]
    assert statements_of(database, world) == 1
    assert item_events(database, world) == [world.item_keys[0]]


def test_an_item_done_for_someone_never_launched_is_done_without_a_statement(database):
    world = make_world(database)

    with database.transaction() as session:
        plan = session.get(DevelopmentPlan, world.plan_id)
        done = complete_plan_item(
            session,
            plan,
            world.item_keys[0],
            source="moodle.course",
            launch=None,
            public_url=PUBLIC_URL,
        )

    assert done is not None
    assert completed_items(database, world) == [world.item_keys[0]]
    assert statements_of(database, world) == 0


def test_a_completion_in_the_callers_transaction_is_undone_with_it(database):
    """The scheduler's delivery: rolled back, neither the item nor its statement stays."""
    world = make_world(database)

    with database.sessions() as session:
        plan = session.get(DevelopmentPlan, world.plan_id)
        launch = session.scalar(select(Launch).where(Launch.person_id == world.person_id))
        complete_plan_item(
            session, plan, world.item_keys[0], source="x", launch=launch, public_url=PUBLIC_URL
        )
        session.rollback()

    assert completed_items(database, world) == [] and statements_of(database, world) == 0
