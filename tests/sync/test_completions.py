"""Completions in: each becomes one event, fanned out to the organisation's targets and,
when it completes a plan item, to the tool's own plan (item done once, one statement)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from actions.attempts import record_submitted_attempt
from competence.instruments import shipped_instruments
from storage import DeliveryStatus, LearningActivity
from storage.completions import CompletionEvent, SyncTarget
from storage.outbox import Delivery
from sync.completions import backfill, own_senders
from sync.dispatcher import deliver_due
from tests.sync.completion_world import (
    COMPLETED,
    add_target,
    completed_items,
    course_completed,
    deliveries_of,
    make_world,
    statements_of,
)


def deliver(database):
    return deliver_due(database, own_senders("https://kompetenslyft.example.se"))


def test_a_completion_is_queued_for_every_enabled_target_and_the_plan(database):
    world = make_world(database)
    hr = add_target(database, world, "hr_rest")
    moodle = add_target(database, world, "moodle")
    add_target(database, world, "hr_files", enabled=False)

    event = course_completed(database, world, 0)

    assert deliveries_of(database, world) == {
        "hr.rest": [f"{hr}:{event}"],
        "moodle.competency": [f"{moodle}:{event}"],
        "plan.item": [str(event)],
    }


def test_re_ingesting_an_event_changes_nothing(database):
    world = make_world(database)
    add_target(database, world, "hr_rest")
    first = course_completed(database, world, 0)
    before = deliveries_of(database, world)

    again = course_completed(database, world, 0)

    assert first is not None and again is None
    assert deliveries_of(database, world) == before
    with database.sessions() as session:
        events = session.scalars(
            select(CompletionEvent).where(CompletionEvent.organisation_id == world.organisation_id)
        ).all()
    assert len(events) == 1


def test_the_plan_item_is_marked_done_once_with_one_statement(database):
    world = make_world(database)
    hr = add_target(database, world, "hr_rest")
    course_completed(database, world, 0)
    # A second completion of the same course (another Moodle record) for the same item.
    course_completed(database, world, 0, key="course-0-again")

    deliver(database)

    assert completed_items(database, world) == [world.item_keys[0]]
    assert statements_of(database, world) == 1
    with database.sessions() as session:
        plan_item_events = session.scalars(
            select(CompletionEvent).where(
                CompletionEvent.organisation_id == world.organisation_id,
                CompletionEvent.source == "tool.plan_item",
            )
        ).all()
        plan_deliveries = session.scalars(
            select(Delivery).where(
                Delivery.organisation_id == world.organisation_id, Delivery.target == "plan.item"
            )
        ).all()
    # The item done is itself a completion, for HR; it does not loop back to the plan.
    assert [e.plan_item_key for e in plan_item_events] == [world.item_keys[0]]
    assert plan_item_events[0].evidence["source"] == "moodle.course"
    assert f"{hr}:{plan_item_events[0].id}" in deliveries_of(database, world)["hr.rest"]
    assert {d.status for d in plan_deliveries} == {DeliveryStatus.DELIVERED}


def test_a_submitted_assessment_is_an_event_with_its_levels_and_plan_item(database):
    world = make_world(database, items=1)
    instrument = shipped_instruments()["digcomp-2.2-full"]
    with database.transaction() as session:
        # The plan's item is the assessment itself (a catalogue entry pointing at it).
        activity_id = int(world.item_keys[0].split(":")[1])
        session.get(LearningActivity, activity_id).url = "instrument:" + instrument.id
    attempt = SimpleNamespace(id="attempt-1", person_id=world.person_id, submitted_at=COMPLETED)
    result = SimpleNamespace(
        competences={"1.1": SimpleNamespace(level=3), "2.1": SimpleNamespace(level=2)},
        overall_level=2,
    )
    with database.transaction() as session:
        event_id = record_submitted_attempt(
            session, attempt, world.organisation_id, instrument, result
        )

    with database.sessions() as session:
        event = session.get(CompletionEvent, event_id)
        assert (event.source, event.kind) == ("tool.attempt", "assessment")
        assert event.levels == {"1.1": 3, "2.1": 2}
        assert (event.plan_id, event.plan_item_key) == (world.plan_id, world.item_keys[0])
    assert deliveries_of(database, world) == {"plan.item": [str(event_id)]}


def test_backfill_queues_what_a_new_target_has_not_had(database):
    world = make_world(database)
    events = [course_completed(database, world, number) for number in range(3)]
    target_id = add_target(database, world, "hr_files")
    seen = []

    def progress(ids):
        seen.extend(ids)
        return seen

    with database.sessions() as session:
        target = session.get(SyncTarget, target_id)
        queued = backfill(session, target, progress)
        again = backfill(session, target, lambda ids: ids)

    assert queued == 3 and again == 0 and seen == events
    assert deliveries_of(database, world)["hr.files"] == sorted(f"{target_id}:{e}" for e in events)


def test_the_backfill_command_reports_what_it_queued(database, settings):
    from click.testing import CliRunner

    from lti_tool.cli import cli

    world = make_world(database)
    course_completed(database, world, 0)
    course_completed(database, world, 1)
    target_id = add_target(database, world, "moodle")
    with database.sessions() as session:
        from storage import Organisation

        slug = session.get(Organisation, world.organisation_id).slug
    env = {
        "KOMPETENSLYFT_MODE": "development",
        "KOMPETENSLYFT_DATABASE_URL": settings.database_url,
        "KOMPETENSLYFT_INSTANCE_PATH": str(settings.instance_path),
    }
    runner = CliRunner()

    done = runner.invoke(
        cli, ["sync", "backfill", "--organisation", slug, "--target", str(target_id)], env=env
    )
    wrong = runner.invoke(
        cli, ["sync", "backfill", "--organisation", slug, "--target", "999999"], env=env
    )

    assert done.exit_code == 0, done.output
    assert f"2 completions queued for target {target_id}" in done.output
    assert len(deliveries_of(database, world)["moodle.competency"]) == 2
    assert wrong.exit_code == 1 and "has no sync target 999999" in wrong.output
