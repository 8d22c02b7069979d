"""The scheduler (APScheduler): which jobs run, how often, and where.

The embedded default runs it inside the web process (`make run`); production
runs `kompetenslyft scheduler` as its own process.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from config import Settings
from lti.ags import AgsScoreSender
from lti.grades import TARGET as AGS_SCORE
from lti.http_client import make_http_session
from lti.nrps import TARGET as NRPS_ROSTER
from lti.nrps import NrpsRosterSender
from lti.rosters import refresh_rosters
from lti.service_tokens import ServiceTokens
from storage import Database
from sync.dispatcher import Sender, deliver_due
from sync.hr_polling import poll_hr_sources
from sync.xapi_forwarding import forward_statements
from xapi.lrs_client import LrsClient

log = logging.getLogger(__name__)


def build_senders(settings: Settings) -> dict[str, Sender]:
    """One sender per outbox target; all share one HTTP client and the token cache."""
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=0)
    tokens = ServiceTokens(http)
    return {
        AGS_SCORE: AgsScoreSender(http, tokens),
        NRPS_ROSTER: NrpsRosterSender(http, tokens),
    }


def add_jobs(scheduler, settings: Settings, database: Database) -> None:
    senders = build_senders(settings)
    lease = timedelta(seconds=settings.delivery_lease_seconds)
    scheduler.add_job(
        deliver_due,
        "interval",
        seconds=settings.delivery_interval_seconds,
        args=[database, senders],
        kwargs={"lease": lease},
        id="deliveries",
        max_instances=1,
        coalesce=True,
    )
    # Statements go to each organisation's LRS in batches (see sync.xapi_forwarding).
    lrs_client = LrsClient(make_http_session(timeout=settings.http_timeout_seconds, retries=0))
    scheduler.add_job(
        forward_statements,
        "interval",
        seconds=settings.delivery_interval_seconds,
        args=[database, lrs_client, settings.secret_key],
        kwargs={"lease": lease},
        id="xapi-forwarding",
        max_instances=1,
        coalesce=True,
    )
    # Every course's roster once a day, at night (queued; the deliveries job fetches them).
    scheduler.add_job(
        refresh_rosters,
        "cron",
        hour=2,
        minute=30,
        args=[database],
        id="nrps-rosters",
        max_instances=1,
        coalesce=True,
    )
    # Each organisation's HR endpoint once a night, after the rosters (see sync.hr_polling).
    scheduler.add_job(
        poll_hr_sources,
        "cron",
        hour=3,
        minute=15,
        args=[
            database,
            make_http_session(timeout=settings.http_timeout_seconds, retries=2),
            settings.secret_key,
        ],
        id="hr-poll",
        max_instances=1,
        coalesce=True,
    )


def start_background(settings: Settings, database: Database) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    add_jobs(scheduler, settings, database)
    scheduler.start()
    log.info("scheduler running inside the web process")
    return scheduler


def run_blocking(settings: Settings, database: Database) -> None:
    scheduler = BlockingScheduler()
    add_jobs(scheduler, settings, database)
    scheduler.start()
