"""Job runs and job leases: what the scheduler did, and who may run what now.

Every run of a job is a JobRun row (start, end, outcome, counts, error) for the
admin pages.  A lease (JobLease) is taken with one conditional UPDATE, so two
instances never both get it; a dead holder's lease simply runs out.

Every scheduler instance also keeps a lease of its own alive (`instance:<name>`), renewed
at each tick.  A run still "running" whose instance holds no live lease any more was
killed with it: it is marked "abandoned" (the admins' jobs page says so) instead of
looking busy for ever.  When to take which lease and what to run is sync/jobs.py's and
sync/scheduler.py's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.database import Base, Database, JSONDocument, UTCDateTime, insert_new, utcnow

INSTANCE_LEASE_PREFIX = "instance:"
KEEP_RUNS_DAYS = 14
RUNNING = "running"
ABANDONED = "abandoned"
# An instance lease that ran out this long ago belongs to an instance that is gone.
FORGET_INSTANCE_AFTER = timedelta(days=1)


class JobRun(Base):
    """One run of a scheduled job, for the admin pages: when, where, how it went."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64))
    instance: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running")  # ok | failed | skipped
    counts: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class JobLease(Base):
    """Which scheduler instance holds a job (or, on SQLite, the whole scheduler) until when.

    A job that must not run twice at once (polling Moodle, say) is taken by a conditional
    UPDATE of its row; an instance that dies lets the lease run out.  Also the admin's
    "run now": `requested_at` set, the next instance to look runs it."""

    __tablename__ = "job_leases"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(128))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(Integer, default=0)


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


def keep_alive(database: Database, owner: str, seconds: float) -> None:
    """Say this instance is alive for `seconds` more: its runs are not abandoned meanwhile."""
    take_lease(database, INSTANCE_LEASE_PREFIX + owner, owner, seconds)


def say_goodbye(database: Database, owner: str) -> None:
    """The instance stops: its own lease goes (its runs have finished)."""
    with database.sessions() as session:
        session.execute(delete(JobLease).where(JobLease.job_id == INSTANCE_LEASE_PREFIX + owner))
        session.commit()


def abandon_lost_runs(session: Session, now: datetime | None = None) -> int:
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


def request_run(session: Session, job_id: str) -> None:
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


def start_run(database: Database, job_id: str, instance: str) -> int:
    """A new run of `job_id` on `instance`, "running" from now (committed: the admins see it)."""
    with database.sessions() as session:
        run = JobRun(job_id=job_id, instance=instance, started_at=utcnow(), outcome=RUNNING)
        session.add(run)
        session.commit()
        return run.id


def finish_run(
    database: Database, run_id: int, outcome: str, counts: dict, error: str | None
) -> None:
    with database.sessions() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(finished_at=utcnow(), outcome=outcome, counts=counts, error=error)
        )
        session.commit()


def latest_runs(session: Session, job_ids: list[str]) -> dict[str, JobRun]:
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


def requested_job_ids(session: Session) -> set[str]:
    """The jobs an admin asked to run now that the scheduler has not started yet."""
    return set(session.scalars(select(JobLease.job_id).where(JobLease.requested_at.is_not(None))))
