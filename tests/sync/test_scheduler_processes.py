"""Real `kompetenslyft scheduler` processes: one at a time on SQLite, many at once on
PostgreSQL, killed with SIGKILL mid-batch: every plan item is done exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import Database, Delivery, DeliveryStatus, PlanItemCompletion, XapiStatement
from storage.completions import CompletionEvent
from storage.jobs import JobLease
from sync.jobs import SCHEDULER_LEASE
from tests.sync.completion_world import course_completed, make_world

ITEMS = 30
KILLS = 10
HERE = Path(__file__).parent


@pytest.fixture
def fresh_url(own_database_url):
    return own_database_url


def environment(database_url: str, instance: Path, **extra) -> dict:
    return {
        **os.environ,
        "KOMPETENSLYFT_MODE": "development",
        "KOMPETENSLYFT_DATABASE_URL": database_url,
        "KOMPETENSLYFT_SECRET_KEY": "scheduler-test-secret-key-0123456789abcdef",
        "KOMPETENSLYFT_INSTANCE_PATH": str(instance),
        "KOMPETENSLYFT_DELIVERY_INTERVAL_SECONDS": "1",
        "KOMPETENSLYFT_DELIVERY_LEASE_SECONDS": "2",
        **extra,
    }


def kompetenslyft() -> str:
    return str(Path(sys.executable).parent / "kompetenslyft")


def wait_for(condition, what: str, seconds: float = 120, processes=()):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        for process in processes:
            assert process.poll() is None, f"a scheduler exited: {process.args}"
        time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait(timeout=30)


def lease_owner(database: Database) -> str | None:
    with database.sessions() as session:
        lease = session.get(JobLease, SCHEDULER_LEASE)
        return lease.owner if lease else None


def outcome(database: Database, world) -> dict:
    with database.sessions() as session:
        done = Counter(
            session.scalars(
                select(PlanItemCompletion.item_key).where(
                    PlanItemCompletion.plan_id == world.plan_id
                )
            )
        )
        statements = session.scalar(
            select(func.count())
            .select_from(XapiStatement)
            .where(XapiStatement.organisation_id == world.organisation_id)
        )
        item_events = Counter(
            session.scalars(
                select(CompletionEvent.plan_item_key).where(
                    CompletionEvent.organisation_id == world.organisation_id,
                    CompletionEvent.source == "tool.plan_item",
                )
            )
        )
        statuses = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.target == "plan.item")
                .group_by(Delivery.status)
            ).all()
        )
    return {"done": done, "statements": statements, "events": item_events, "statuses": statuses}


def all_delivered(database: Database) -> bool:
    with database.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.target == "plan.item", Delivery.status != DeliveryStatus.DELIVERED)
            )
            == 0
        )


def assert_each_item_once(database: Database, world) -> None:
    found = outcome(database, world)
    assert found["done"] == Counter(world.item_keys)
    assert found["events"] == Counter(world.item_keys)
    assert found["statements"] == ITEMS
    assert found["statuses"] == {DeliveryStatus.DELIVERED: ITEMS}


def test_a_second_scheduler_on_sqlite_says_one_is_running(sqlite_url, tmp_path):
    fresh_url = sqlite_url
    database = Database(fresh_url)
    first = subprocess.Popen(
        [kompetenslyft(), "scheduler"],
        env=environment(fresh_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: lease_owner(database) is not None, "the first lease", processes=[first])
        second = subprocess.run(
            [kompetenslyft(), "scheduler"],
            env=environment(fresh_url, tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "another scheduler is already running on this SQLite database" in second.stderr
        assert "SQLite allows only one" in second.stderr
    finally:
        held_by_first = lease_owner(database)
        stop(first)
    # The first was killed: a new one sees its holder is gone and takes over at once.
    third = subprocess.Popen(
        [kompetenslyft(), "scheduler"],
        env=environment(fresh_url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: lease_owner(database) not in (None, held_by_first),
            "the third scheduler's lease",
            processes=[third],
        )
    finally:
        stop(third)
        database.dispose()


def test_a_stopped_scheduler_gives_its_place_back_at_once(sqlite_url, tmp_path):
    """`docker stop` sends SIGTERM: the scheduler ends cleanly and frees the SQLite lease,
    so its replacement starts without waiting for the lease to run out."""
    database = Database(sqlite_url)
    first = subprocess.Popen(
        [kompetenslyft(), "scheduler"],
        env=environment(sqlite_url, tmp_path, KOMPETENSLYFT_SCHEDULER_LEASE_SECONDS="600"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: lease_owner(database) is not None, "the first lease", processes=[first])
        first.send_signal(signal.SIGTERM)
        output, _ = first.communicate(timeout=60)
        assert first.returncode == 0, output
        assert "scheduler stopped" in output
        assert lease_owner(database) is None
        second = subprocess.Popen(
            [kompetenslyft(), "scheduler"],
            env=environment(sqlite_url, tmp_path, KOMPETENSLYFT_SCHEDULER_LEASE_SECONDS="600"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: lease_owner(database) is not None, "the new lease", processes=[second])
        finally:
            stop(second)
    finally:
        if first.poll() is None:
            stop(first)
        database.dispose()


def test_two_schedulers_on_postgresql_deliver_each_plan_item_once(postgresql_url, tmp_path):
    fresh_url = postgresql_url
    database = Database(fresh_url)
    world = make_world(database, items=ITEMS)
    for number in range(ITEMS):
        course_completed(database, world, number)
    schedulers = [
        subprocess.Popen(
            [kompetenslyft(), "scheduler"],
            env=environment(fresh_url, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        wait_for(lambda: all_delivered(database), "every delivery", processes=schedulers)
    finally:
        for process in schedulers:
            stop(process)
    assert_each_item_once(database, world)
    database.dispose()


def test_sigkill_mid_batch_then_each_plan_item_is_done_once(fresh_url, tmp_path):
    database = Database(fresh_url)
    world = make_world(database, items=ITEMS)
    for number in range(ITEMS):
        course_completed(database, world, number)
    gate = tmp_path / "gate"
    gate.mkdir()

    def gated(passing: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(HERE / "gated_scheduler.py")],
            env=environment(
                fresh_url, tmp_path, GATE_DIR=str(gate), GATE_PASS=str(passing), PYTHONPATH="."
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    for kill in range(KILLS):
        (gate / "held").unlink(missing_ok=True)
        scheduler = gated(passing=kill % 3)
        try:
            wait_for((gate / "held").exists, "the sender to be held", processes=[scheduler])
        finally:
            stop(scheduler)  # SIGKILL while the sender holds a delivery mid-batch
    done_while_killing = sum(outcome(database, world)["done"].values())

    (gate / "release").write_text("go")
    scheduler = gated(passing=0)
    try:
        wait_for(lambda: all_delivered(database), "every delivery", processes=[scheduler])
    finally:
        stop(scheduler)
    assert done_while_killing <= KILLS * 2
    assert_each_item_once(database, world)
    database.dispose()
