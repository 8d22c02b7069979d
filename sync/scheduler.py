"""The scheduler (APScheduler): which jobs run, how often, and where.

Every job is one row of JOBS below: its schedule, whether it must not overlap
across instances, and what it does.  The configuration may override a job's
schedule or switch it off (`[kompetenslyft.jobs.<id>]` in the TOML file, or
KOMPETENSLYFT_JOBS as JSON, e.g. `{"hr-poll": {"hour": 4}, "moodle-poll":
{"enabled": false}}`).  Every run is recorded as a JobRun by `sync.jobs.recorded`.

The embedded default runs it inside the web process (`make run`); production
runs `kompetenslyft scheduler` as its own process.  On SQLite only one instance
may run (it holds the 'scheduler' lease and renews it every tick); on
PostgreSQL any number do, since work rows are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from config import Settings
from lti.ags import AgsScoreSender
from lti.grades import TARGET as AGS_SCORE
from lti.nrps import TARGET as NRPS_ROSTER
from lti.nrps import NrpsRosterSender
from lti.rosters import refresh_rosters
from lti.service_tokens import ServiceTokens
from outbound.http_client import make_http_session
from storage import Database, utcnow
from storage import jobs as job_store
from storage.retention import RetentionPeriods, apply_retention
from sync import jobs as job_records
from sync.completions import own_senders
from sync.dispatcher import Sender, deliver_due
from sync.hr_delivery import BatchSender, deliver_hr_records
from sync.hr_polling import nightly_hr_poll
from sync.hr_senders import build_hr_senders
from sync.lrs_completions import poll_lrs_completions
from sync.moodle_completions import poll_moodle_completions
from sync.moodle_plans import TARGET as MOODLE_COMPETENCY
from sync.moodle_plans import MoodlePlanSender
from sync.xapi_forwarding import forward_statements
from xapi.lrs_client import LrsClient

log = logging.getLogger(__name__)

TICK = "tick"
TICK_SECONDS = 5


class SchedulerAlreadyRunning(RuntimeError):
    """On SQLite a second scheduler would fight the first over the one database file."""


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its trigger ("interval" or "cron") with the trigger's fields,
    and `run(context)` doing the work and returning its counts."""

    id: str
    trigger: str
    schedule: dict
    run: Callable[[JobContext], object]
    # Must not run in two instances at once: taken as a JobLease for `lease_seconds`.
    exclusive: bool = False
    lease_seconds: int = 3600
    enabled: bool = True


@dataclass
class JobContext:
    settings: Settings
    database: Database
    owner: str
    senders: dict[str, Sender] = field(default_factory=dict)
    # Built once per instance, so an HR system's OAuth2 token is reused across runs.
    hr_senders: dict[str, BatchSender] = field(default_factory=dict)


# Another target's sender is one line here (see build_senders): its outbox target
# string and a callable(session, payload) that raises outbound.delivery.DeliveryFailed.
SENDER_FACTORIES: dict[str, Callable[[Settings], Sender]] = {}


def build_senders(settings: Settings) -> dict[str, Sender]:
    """One sender per outbox target; all share one HTTP client and the token cache."""
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=0)
    tokens = ServiceTokens(http)
    senders: dict[str, Sender] = {
        AGS_SCORE: AgsScoreSender(http, tokens),
        NRPS_ROSTER: NrpsRosterSender(http, tokens),
        **own_senders(settings.public_url),
        MOODLE_COMPETENCY: MoodlePlanSender(http, settings.secret_key),
    }
    senders.update({target: make(settings) for target, make in SENDER_FACTORIES.items()})
    return senders


def _deliveries(context: JobContext):
    lease = timedelta(seconds=context.settings.delivery_lease_seconds)
    # A fresh lease owner per run: a "run now" beside the scheduled run never shares one.
    return deliver_due(context.database, context.senders, lease=lease)


def _xapi_forwarding(context: JobContext):
    settings = context.settings
    client = LrsClient(make_http_session(timeout=settings.http_timeout_seconds, retries=0))
    lease = timedelta(seconds=settings.delivery_lease_seconds)
    return forward_statements(context.database, client, settings.secret_key, lease=lease)


def _rosters(context: JobContext):
    return refresh_rosters(context.database)


def _hr_poll(context: JobContext):
    settings = context.settings
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=2)
    return nightly_hr_poll(
        context.database, http, settings.secret_key, settings.hr_max_ending_percent
    )


def _forget_old_runs(context: JobContext):
    days = context.settings.retention_job_runs_days
    return job_store.forget_old_runs(context.database, days=days)


def _retention(context: JobContext):
    settings = context.settings
    periods = RetentionPeriods(
        answers_days=settings.retention_answers_days,
        launches_days=settings.retention_launches_days,
        login_nonces_days=settings.retention_login_nonces_days,
        delivered_days=settings.retention_delivered_days,
        audit_days=settings.retention_audit_days,
    )
    with context.database.transaction() as session:
        return apply_retention(session, periods, utcnow())


def default_jobs(settings: Settings) -> list[JobSpec]:
    """Every job the tool runs, in one place."""
    every_delivery = {"seconds": settings.delivery_interval_seconds}
    return [
        JobSpec("deliveries", "interval", every_delivery, _deliveries),
        # Statements go to each organisation's LRS in batches (see sync.xapi_forwarding).
        JobSpec("xapi-forwarding", "interval", every_delivery, _xapi_forwarding),
        # Every course's roster once a night (queued; the deliveries job fetches them).
        JobSpec("nrps-rosters", "cron", {"hour": 2, "minute": 30}, _rosters, exclusive=True),
        # Each organisation's HR endpoint once a night, after the rosters.
        JobSpec("hr-poll", "cron", {"hour": 3, "minute": 15}, _hr_poll, exclusive=True),
        JobSpec("job-runs-cleanup", "cron", {"hour": 4, "minute": 0}, _forget_old_runs),
        # Raw answers, launches, nonces, delivered payloads and audit events past their
        # retention periods (storage.retention).
        JobSpec("retention", "cron", {"hour": 4, "minute": 20}, _retention, exclusive=True),
        # Competence records to HR (REST and files), in batches per target (sync.hr_delivery).
        JobSpec("hr-records", "interval", every_delivery, _hr_records),
        # Completed Moodle courses of agreed plan items (see sync.moodle_completions).
        JobSpec(
            "moodle-completions", "interval", {"hours": 1}, _moodle_completions, exclusive=True
        ),
        # Completed/passed plan activities in each organisation's LRS (sync.lrs_completions).
        JobSpec("lrs-completions", "interval", {"hours": 1}, _lrs_completions, exclusive=True),
    ]


def _hr_records(context: JobContext):
    lease = timedelta(seconds=context.settings.delivery_lease_seconds)
    return deliver_hr_records(context.database, context.hr_senders, lease=lease)


def _moodle_completions(context: JobContext):
    return poll_moodle_completions(context.database, context.settings)


def _lrs_completions(context: JobContext):
    return poll_lrs_completions(context.database, context.settings)


def configured_jobs(settings: Settings, jobs: list[JobSpec] | None = None) -> list[JobSpec]:
    """The job table with the configuration's overrides applied."""
    result = []
    for spec in jobs if jobs is not None else default_jobs(settings):
        override = dict(settings.jobs.get(spec.id, {}))
        enabled = bool(override.pop("enabled", spec.enabled))
        trigger = override.pop("trigger", spec.trigger)
        lease_seconds = int(override.pop("lease_seconds", spec.lease_seconds))
        schedule = override if trigger != spec.trigger else {}
        if trigger == spec.trigger:
            schedule = {**spec.schedule, **override}
        result.append(
            JobSpec(spec.id, trigger, schedule, spec.run, spec.exclusive, lease_seconds, enabled)
        )
    return result


class JobRunner:
    """Runs the jobs of one scheduler instance: each run recorded, exclusive ones leased,
    the admins' "run now" requests taken at each tick."""

    def __init__(self, settings: Settings, database: Database, jobs: list[JobSpec]) -> None:
        self.settings = settings
        self.database = database
        self.owner = job_records.instance_name()
        self.jobs = {spec.id: spec for spec in jobs if spec.enabled}
        self.context = JobContext(
            settings, database, self.owner, build_senders(settings), build_hr_senders(settings)
        )
        self.on_lease_lost: Callable[[], None] | None = None

    @property
    def single_instance(self) -> bool:
        return self.database.engine.dialect.name == "sqlite"

    def run(self, job_id: str) -> str:
        spec = self.jobs[job_id]
        job_store.keep_alive(self.database, self.owner, self.lease_seconds)
        if spec.exclusive and not job_store.take_lease(
            self.database, job_id, self.owner, spec.lease_seconds
        ):
            return "skipped"  # another instance is running it
        try:
            return job_records.recorded(
                self.database, job_id, self.owner, lambda: spec.run(self.context)
            )
        finally:
            if spec.exclusive:
                job_store.give_back(self.database, job_id, self.owner)

    def claim_instance(self) -> None:
        """On SQLite: be the one scheduler, or say who is."""
        if not self.single_instance:
            return
        name = job_records.SCHEDULER_LEASE
        if job_store.take_lease(self.database, name, self.owner, self.lease_seconds):
            return
        holder = job_store.lease_holder(self.database, name)
        if job_records.is_dead_here(holder.owner) and job_store.take_lease(
            self.database, name, self.owner, self.lease_seconds, replacing=holder.owner
        ):
            log.info("took over the scheduler lease of %s, which is gone", holder.owner)
            return
        raise SchedulerAlreadyRunning(
            "another scheduler is already running on this SQLite database "
            f"({holder.owner}, last seen {holder.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); "
            "SQLite allows only one. Stop it first, or wait "
            f"{self.lease_seconds} seconds after it stopped. "
            "(With `make run` the web process runs the scheduler itself.)"
        )

    @property
    def lease_seconds(self) -> int:
        return self.settings.scheduler_lease_seconds

    def release_instance(self) -> None:
        job_store.say_goodbye(self.database, self.owner)
        if self.single_instance:
            job_store.give_back(self.database, job_records.SCHEDULER_LEASE, self.owner)

    def tick(self) -> list[str]:
        """Every few seconds: renew this instance's lease, run what the admins asked for."""
        if self.single_instance and not job_store.take_lease(
            self.database, job_records.SCHEDULER_LEASE, self.owner, self.lease_seconds
        ):
            log.error("this scheduler lost its lease to another instance; stopping")
            if self.on_lease_lost is not None:
                self.on_lease_lost()
            return []
        job_store.keep_alive(self.database, self.owner, self.lease_seconds)
        with self.database.sessions() as session:
            job_store.abandon_lost_runs(session)
            session.commit()
        requested = job_store.take_requests(self.database, list(self.jobs))
        for job_id in requested:
            self.run(job_id)
        return requested


def add_jobs(scheduler, settings: Settings, database: Database) -> JobRunner:
    runner = JobRunner(settings, database, configured_jobs(settings))
    for spec in runner.jobs.values():
        scheduler.add_job(
            runner.run,
            spec.trigger,
            args=[spec.id],
            id=spec.id,
            max_instances=1,
            coalesce=True,
            **spec.schedule,
        )
    scheduler.add_job(
        runner.tick, "interval", seconds=TICK_SECONDS, id=TICK, max_instances=1, coalesce=True
    )
    return runner


def start_background(settings: Settings, database: Database) -> BackgroundScheduler | None:
    """The web process's own scheduler; none when another instance already runs."""
    scheduler = BackgroundScheduler(daemon=True)
    runner = add_jobs(scheduler, settings, database)
    try:
        runner.claim_instance()
    except SchedulerAlreadyRunning as running:
        log.warning("not running the scheduler in the web process: %s", running)
        return None
    runner.on_lease_lost = lambda: scheduler.shutdown(wait=False)
    scheduler.start()
    log.info("scheduler running inside the web process")
    return scheduler


def run_blocking(settings: Settings, database: Database) -> None:
    """`kompetenslyft scheduler`; raises SchedulerAlreadyRunning on a taken SQLite database."""
    scheduler = BlockingScheduler()
    runner = add_jobs(scheduler, settings, database)
    runner.claim_instance()
    runner.on_lease_lost = lambda: scheduler.shutdown(wait=False)
    # `docker stop` and systemd send SIGTERM: finish the running jobs and give the instance
    # lease back, so the next scheduler starts at once instead of after the lease runs out.
    previous = signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=True))
    try:
        scheduler.start()
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.release_instance()
