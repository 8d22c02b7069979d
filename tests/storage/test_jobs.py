"""Job leases and job runs, called directly: who may run a job now, and what the admins see.

Each test names its own jobs and instances, so it shares the session's database with others.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from storage.database import utcnow
from storage.jobs import (
    ABANDONED,
    INSTANCE_LEASE_PREFIX,
    RUNNING,
    JobLease,
    JobRun,
    abandon_lost_runs,
    finish_run,
    forget_old_runs,
    give_back,
    keep_alive,
    latest_runs,
    lease_holder,
    request_run,
    say_goodbye,
    start_run,
    take_lease,
    take_requests,
)


@pytest.fixture
def job() -> str:
    return f"job-{uuid.uuid4().hex[:8]}"


def expire(database, job_id: str) -> None:
    with database.transaction() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job_id == job_id)
            .values(leased_until=utcnow() - timedelta(seconds=1))
        )


def run_row(database, run_id: int) -> JobRun:
    with database.sessions() as session:
        run = session.get(JobRun, run_id)
        session.expunge(run)
        return run


def test_two_instances_asking_for_one_job_only_the_first_gets_it_until_its_lease_runs_out(
    database, job
):
    assert take_lease(database, job, "host-1-a", 600)
    assert not take_lease(database, job, "host-2-b", 600)
    assert lease_holder(database, job).owner == "host-1-a"

    expire(database, job)  # the first instance died without giving it back

    assert take_lease(database, job, "host-2-b", 600)
    assert lease_holder(database, job).owner == "host-2-b"


def test_an_instance_renews_its_own_lease_and_may_replace_a_holder_known_dead(database, job):
    assert take_lease(database, job, "host-1-a", 600)
    assert take_lease(database, job, "host-1-a", 600)

    assert take_lease(database, job, "host-1-c", 600, replacing="host-1-a")
    assert lease_holder(database, job).owner == "host-1-c"


def test_a_job_given_back_is_free_at_once_and_its_runs_are_counted(database, job):
    take_lease(database, job, "host-1-a", 600)
    give_back(database, job, "host-1-a")

    lease = lease_holder(database, job)
    assert (lease.owner, lease.leased_until, lease.runs) == (None, None, 1)
    assert take_lease(database, job, "host-2-b", 600)


def test_giving_back_a_lease_someone_else_holds_changes_nothing(database, job):
    take_lease(database, job, "host-1-a", 600)
    give_back(database, job, "host-2-b")

    assert lease_holder(database, job).owner == "host-1-a"


def test_an_admins_run_now_is_taken_by_exactly_one_instance(database, job):
    with database.transaction() as session:
        request_run(session, job)

    assert take_requests(database, [job, "another-job"]) == [job]
    assert take_requests(database, [job]) == []


def test_a_finished_run_keeps_its_outcome_counts_and_error(database, job):
    run_id = start_run(database, job, "host-1-a")
    assert run_row(database, run_id).outcome == RUNNING

    finish_run(database, run_id, "failed", {"sent": 2}, "the HR server said no")

    run = run_row(database, run_id)
    assert (run.outcome, run.counts, run.error) == ("failed", {"sent": 2}, "the HR server said no")
    assert run.finished_at >= run.started_at


def test_a_run_of_an_instance_that_stopped_renewing_is_marked_abandoned(database, job):
    alive, killed = f"alive-{job}", f"killed-{job}"
    keep_alive(database, alive, 600)
    still_running = start_run(database, job, alive)
    lost = start_run(database, job, killed)

    with database.transaction() as session:
        assert abandon_lost_runs(session) >= 1

    assert run_row(database, lost).outcome == ABANDONED
    assert run_row(database, still_running).outcome == RUNNING


def test_an_instance_saying_goodbye_drops_its_own_lease(database, job):
    keep_alive(database, job, 600)
    assert lease_holder(database, INSTANCE_LEASE_PREFIX + job).owner == job

    say_goodbye(database, job)

    assert lease_holder(database, INSTANCE_LEASE_PREFIX + job) is None


def test_the_jobs_page_gets_each_jobs_latest_run(database, job):
    other = f"{job}-other"
    keep_alive(database, "host-1-a", 600)
    start_run(database, job, "host-1-a")
    newest = start_run(database, job, "host-1-a")
    only = start_run(database, other, "host-1-a")

    with database.sessions() as session:
        latest = latest_runs(session, [job, other, f"{job}-never-ran"])

        assert {job_id: run.id for job_id, run in latest.items()} == {job: newest, other: only}


def test_runs_older_than_the_kept_days_are_forgotten_unless_kept_for_good(database, job):
    old = start_run(database, job, "host-1-a")
    recent = start_run(database, job, "host-1-a")
    with database.transaction() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == old)
            .values(started_at=datetime(2000, 1, 1, tzinfo=UTC))
        )

    assert forget_old_runs(database, days=0) == 0
    assert forget_old_runs(database, days=14) >= 1

    with database.sessions() as session:
        kept = set(session.scalars(select(JobRun.id).where(JobRun.job_id == job)))
    assert kept == {recent}
