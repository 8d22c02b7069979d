"""Every scheduled run is recorded; "run now" runs a job at the next tick; on SQLite only
one scheduler instance runs at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from config import load_settings
from storage import jobs as job_store
from storage.database import utcnow
from storage.jobs import JobLease, JobRun
from sync import jobs
from sync.scheduler import (
    JobRunner,
    JobSpec,
    SchedulerAlreadyRunning,
    configured_jobs,
    default_jobs,
)


class Boom(RuntimeError):
    """A job's failure the tests can tell from any other."""


def _fails(context):
    raise Boom("the HR server said no")


JOBS = [
    JobSpec("counting", "interval", {"seconds": 60}, lambda context: {"sent": 2, "dead": 1}),
    JobSpec("failing", "interval", {"seconds": 60}, _fails),
    JobSpec("exclusive", "cron", {"hour": 3}, lambda context: 7, exclusive=True),
]


@pytest.fixture
def clean(database):
    with database.transaction() as session:
        session.execute(delete(JobRun))
        session.execute(delete(JobLease))
    return database


def runs(database) -> list[JobRun]:
    with database.sessions() as session:
        return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def test_ok_and_failing_runs_are_recorded_with_counts_and_error(clean, settings):
    runner = JobRunner(settings, clean, JOBS)

    assert runner.run("counting") == "ok"
    assert runner.run("failing") == "failed"

    counting, failing = runs(clean)
    assert (counting.job_id, counting.outcome, counting.counts) == (
        "counting",
        "ok",
        {"sent": 2, "dead": 1},
    )
    assert counting.finished_at >= counting.started_at
    assert (failing.outcome, failing.error) == (
        "failed",
        "tests.sync.test_job_runs.Boom: the HR server said no",
    )
    assert failing.finished_at is not None


def test_run_now_runs_the_job_at_the_next_tick_once(clean, settings):
    runner = JobRunner(settings, clean, JOBS)
    with clean.transaction() as session:
        job_store.request_run(session, "counting")

    assert runner.tick() == ["counting"]
    assert runner.tick() == []
    assert [run.job_id for run in runs(clean)] == ["counting"]


def test_an_exclusive_job_held_by_another_instance_is_skipped(clean, settings):
    runner = JobRunner(settings, clean, JOBS)
    assert job_store.take_lease(clean, "exclusive", "elsewhere-1-abc", 600)

    assert runner.run("exclusive") == "skipped"
    assert runs(clean) == []

    with clean.transaction() as session:  # the other instance died; its lease ran out
        session.execute(
            update(JobLease)
            .where(JobLease.job_id == "exclusive")
            .values(leased_until=utcnow() - timedelta(seconds=1))
        )
    assert runner.run("exclusive") == "ok"
    assert runs(clean)[0].counts == {"count": 7}


def test_the_configuration_overrides_a_jobs_schedule_or_turns_it_off(tmp_path):
    settings = load_settings(
        environ={
            "KOMPETENSLYFT_MODE": "development",
            "KOMPETENSLYFT_INSTANCE_PATH": str(tmp_path),
            "KOMPETENSLYFT_JOBS": '{"hr-poll": {"hour": 5}, "nrps-rosters": {"enabled": false}}',
        }
    )

    table = {spec.id: spec for spec in configured_jobs(settings)}

    assert table["hr-poll"].schedule == {"hour": 5, "minute": 15}
    assert not table["nrps-rosters"].enabled
    assert {spec.id for spec in default_jobs(settings)} == set(table)


def test_a_second_scheduler_runs_beside_the_first_on_postgresql_only(clean, settings, backend):
    """On SQLite it refuses until the first one's lease ran out."""
    first = JobRunner(settings, clean, JOBS)
    first.owner = "another-host-4242-abcdef01"  # alive as far as this host can tell
    second = JobRunner(settings, clean, JOBS)
    first.claim_instance()
    if backend == "postgresql":
        second.claim_instance()  # any number run: work rows are claimed with SKIP LOCKED
        assert second.tick() == [] and first.tick() == []
        assert job_store.lease_holder(clean, jobs.SCHEDULER_LEASE) is None
        return

    with pytest.raises(SchedulerAlreadyRunning) as refused:
        second.claim_instance()
    assert "another scheduler is already running" in str(refused.value)
    assert "another-host-4242-abcdef01" in str(refused.value)

    assert first.tick() == []  # the heartbeat keeps it
    with clean.transaction() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job_id == jobs.SCHEDULER_LEASE)
            .values(leased_until=utcnow() - timedelta(seconds=1))
        )
    second.claim_instance()  # the first stopped renewing: the second takes over
    lost = []
    first.on_lease_lost = lambda: lost.append(True)
    first.tick()
    assert lost == [True]
    second.release_instance()


def test_a_run_whose_scheduler_was_killed_shows_abandoned_not_running_for_ever(clean, settings):
    """Issue 17.8: the instance is gone (no live lease of its own); its run stops looking busy."""
    with clean.transaction() as session:
        session.add_all(
            [
                JobRun(job_id="counting", instance="killed-host-1-dead", outcome="running"),
                JobRun(job_id="exclusive", instance="alive-host-2-live", outcome="running"),
                JobLease(
                    job_id="exclusive",
                    owner="alive-host-2-live",
                    leased_until=utcnow() + timedelta(minutes=5),
                    runs=0,
                ),
            ]
        )
    runner = JobRunner(settings, clean, JOBS)

    runner.tick()

    outcomes = {run.job_id: run.outcome for run in runs(clean)}
    assert outcomes == {"counting": "abandoned", "exclusive": "running"}
    # The runner's own runs are not abandoned by its own sweep.
    assert runner.run("counting") == "ok"
    runner.tick()
    assert [run.outcome for run in runs(clean)][-1] == "ok"
