"""Job runs and job leases: what the scheduler did, and who may run what now.

Every run of a job is a JobRun row (start, end, outcome, counts, error) for the
admin pages.  A lease (JobLease) is taken with one conditional UPDATE, so two
instances never both get it; a dead holder's lease simply runs out.

Every scheduler instance also keeps a lease of its own alive (`instance:<name>`), renewed
at each tick.  A run still "running" whose instance holds no live lease any more was
killed with it: it is marked "abandoned" (the admins' jobs page says so) instead of
looking busy for ever.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from storage import Database
from storage.completions import JobLease, JobRun
from storage.database import insert_new, utcnow

SCHEDULER_LEASE = "scheduler"
INSTANCE_LEASE_PREFIX = "instance:"
KEEP_RUNS_DAYS = 14
RUNNING = "running"
ABANDONED = "abandoned"
# An instance lease that ran out this long ago belongs to an instance that is gone.
FORGET_INSTANCE_AFTER = timedelta(days=1)


def take_lease(
    database: Database, job_id: str, owner: str, seconds: float, replacing: str | None = None
) -> bool:
    """Hold `job_id` until now + seconds, unless another live owner holds it (or the
    holder is `replacing`, known dead)."""
    now = utcnow()
    with database.sessions() as session:
        insert_new(session, JobLease.__table__, [{"job_id": job_id, "runs": 0}])
        result = session.execute(
            update(JobLease)
            .where(
                JobLease.job_id == job_id,
                or_(
                    JobLease.owner.is_(None),
                    JobLease.owner == owner,
                    JobLease.leased_until.is_(None),
                    JobLease.leased_until < now,
                    JobLease.owner == (replacing or owner),
                ),
            )
            .values(owner=owner, leased_until=now + timedelta(seconds=seconds), heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return result.rowcount == 1


def instance_name() -> str:
    """host-pid-random: names this process, so a later one on the same host can tell
    whether the holder of a lease is still alive."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def is_dead_here(owner: str | None) -> bool:
    """The owner was a process of this host that no longer exists (killed, say)."""
    host, _, rest = (owner or "").rpartition("-")
    host, _, pid = host.rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def keep_alive(database: Database, owner: str, seconds: float) -> None:
    """Say this instance is alive for `seconds` more: its runs are not abandoned meanwhile."""
    take_lease(database, INSTANCE_LEASE_PREFIX + owner, owner, seconds)


def say_goodbye(database: Database, owner: str) -> None:
    """The instance stops: its own lease goes (its runs have finished)."""
    with database.sessions() as session:
        session.execute(delete(JobLease).where(JobLease.job_id == INSTANCE_LEASE_PREFIX + owner))
        session.commit()


def abandon_lost_runs(session, now: datetime | None = None) -> int:
    """Mark "abandoned" every run still "running" whose instance holds no live lease
    (neither its own, nor the scheduler's, nor its job's): the process was killed.
    In the caller's transaction; how many."""
    now = now or utcnow()
    alive = select(JobLease.job_id).where(
        JobLease.owner == JobRun.instance, JobLease.leased_until >= now
    )
    result = session.execute(
        update(JobRun)
        .where(JobRun.outcome == RUNNING, ~alive.exists())
        .values(outcome=ABANDONED)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(JobLease).where(
            JobLease.job_id.startswith(INSTANCE_LEASE_PREFIX),
            JobLease.leased_until < now - FORGET_INSTANCE_AFTER,
        )
    )
    return result.rowcount


def give_back(database: Database, job_id: str, owner: str) -> None:
    with database.sessions() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job_id == job_id, JobLease.owner == owner)
            .values(owner=None, leased_until=None, runs=JobLease.runs + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def lease_holder(database: Database, job_id: str) -> JobLease | None:
    with database.sessions() as session:
        lease = session.get(JobLease, job_id)
        if lease is not None:
            session.expunge(lease)
        return lease


def request_run(session, job_id: str) -> None:
    """An admin's "run now": the next scheduler tick runs the job."""
    insert_new(session, JobLease.__table__, [{"job_id": job_id, "runs": 0}])
    session.execute(
        update(JobLease)
        .where(JobLease.job_id == job_id)
        .values(requested_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def take_requests(database: Database, job_ids: list[str]) -> list[str]:
    """The jobs an admin asked to run, each taken by exactly one instance."""
    taken = []
    with database.sessions() as session:
        requested = session.execute(
            select(JobLease.job_id, JobLease.requested_at).where(
                JobLease.job_id.in_(job_ids), JobLease.requested_at.is_not(None)
            )
        ).all()
        for job_id, requested_at in requested:
            result = session.execute(
                update(JobLease)
                .where(JobLease.job_id == job_id, JobLease.requested_at == requested_at)
                .values(requested_at=None)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                taken.append(job_id)
        session.commit()
    return taken


def recorded(database: Database, job_id: str, instance: str, function: Callable[[], object]):
    """Run `function` as one JobRun: outcome ok with its counts, or failed with the error."""
    with database.sessions() as session:
        run = JobRun(job_id=job_id, instance=instance, started_at=utcnow(), outcome=RUNNING)
        session.add(run)
        session.commit()
        run_id = run.id
    outcome, counts, error = "ok", {}, None
    try:
        counts = counts_of(function())
    except Exception as failure:  # recorded for the admins; the scheduler goes on
        outcome = "failed"
        error = "".join(traceback.format_exception_only(failure)).strip()[:2000]
    with database.sessions() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=counts, error=error)
        )
        session.commit()
    return outcome


def counts_of(result: object) -> dict:
    """What a job returned, as JSON-able counts: a dataclass, a dict or a number."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    if isinstance(result, dict):
        return {str(k): v for k, v in result.items() if isinstance(v, int | float | str | dict)}
    if isinstance(result, int | float):
        return {"count": result}
    return {}


def latest_runs(session, job_ids: list[str]) -> dict[str, JobRun]:
    """The latest run of each job, runs of killed instances marked abandoned first (the
    page must not say "running" of a run nobody is doing)."""
    if abandon_lost_runs(session):
        session.commit()
    latest = (
        select(JobRun.job_id, func.max(JobRun.id).label("id"))
        .where(JobRun.job_id.in_(job_ids))
        .group_by(JobRun.job_id)
        .subquery()
    )
    rows = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    return {run.job_id: run for run in rows}


def forget_old_runs(
    database: Database, now: datetime | None = None, days: int = KEEP_RUNS_DAYS
) -> int:
    if days <= 0:  # kept for good
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    with database.sessions() as session:
        result = session.execute(delete(JobRun).where(JobRun.started_at < cutoff))
        session.commit()
        return result.rowcount
