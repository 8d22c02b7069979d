"""Prometheus metrics on GET /metrics, for the operator's monitoring (bearer token).

Two kinds of figures, counted two ways:

- Events of the request path (launches, refusals by reason code, rate-limited requests)
  are prometheus_client counters.  Under gunicorn each worker is its own process with its
  own counters: set PROMETHEUS_MULTIPROC_DIR to an empty directory writable by the workers
  (emptied at every start) and prometheus_client keeps each worker's counts in a file
  there, which a scrape of any worker adds up.  Without it the counters are the answering
  process's own: right for one process (`make run`, one worker), too low with several.
  Counting these in the database instead would cost a write on every launch for a figure
  that only needs to be roughly current; the files cost nothing measurable.
- State (queue depths and ages, dead letters, sync targets, the jobs' last runs) is read
  from the database at scrape time (storage.queue_figures), so every worker, the
  scheduler's restarts and a fresh deployment all give the same answer.

No label carries personal data: reason codes, outbox targets, ids of sync targets and
organisations, job ids.
"""

from __future__ import annotations

import hmac
import logging
import os

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from storage import utcnow
from storage.queue_figures import delivery_queues, last_job_runs, sync_target_queues

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

LAUNCHES = Counter(
    "kompetenslyft_launches", "LTI launches, by outcome (accepted, rejected)", ["outcome"]
)
ERRORS = Counter(
    "kompetenslyft_errors",
    "Refused or failed requests, by reason code (launch rejections, rate limits, "
    "expired sessions, Statement API refusals, internal errors)",
    ["reason"],
)
RATE_LIMITED = Counter(
    "kompetenslyft_rate_limited_requests",
    "Requests refused with 429, by rate-limit bucket (login, launch, statement_api)",
    ["bucket"],
)


def launch_accepted() -> None:
    LAUNCHES.labels("accepted").inc()


def launch_rejected(reason: str) -> None:
    LAUNCHES.labels("rejected").inc()
    ERRORS.labels(reason).inc()


def refused(reason: str) -> None:
    ERRORS.labels(reason).inc()


def rate_limited(bucket: str) -> None:
    RATE_LIMITED.labels(bucket).inc()
    ERRORS.labels("rate_limited").inc()


@bp.get("/metrics")
def metrics():
    token = current_app.config["SETTINGS"].metrics_token
    if not token:
        abort(404)
    presented = request.headers.get("Authorization", "")
    if not hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
        return Response(
            "unauthorized\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}, "text/plain"
        )
    state = CollectorRegistry(auto_describe=False)
    state.register(DatabaseFigures(current_app.extensions["database"].engine))
    body = generate_latest(_event_registry()) + generate_latest(state)
    return Response(body, 200, {"Cache-Control": "no-store"}, CONTENT_TYPE_LATEST)


def _event_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class DatabaseFigures:
    """A collector reading queue and job state on its own short connection at each scrape."""

    def __init__(self, engine) -> None:
        self.engine = engine

    def collect(self):
        up = GaugeMetricFamily("kompetenslyft_database_up", "1 when the database answered")
        try:
            with self.engine.connect() as connection:
                queues = delivery_queues(connection)
                targets = sync_target_queues(connection)
                runs = last_job_runs(connection)
        except SQLAlchemyError:
            log.warning("metrics: database unreachable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = utcnow()
        yield from _queue_families(queues, now)
        yield from _sync_target_families(targets, now)
        yield from _job_families(runs)


def _age(now, moment) -> float:
    return max(0.0, (now - moment).total_seconds()) if moment else 0.0


def _queue_families(queues, now):
    depth = GaugeMetricFamily(
        "kompetenslyft_deliveries",
        "Outbox deliveries waiting (pending) or given up (dead), per target",
        labels=["target", "status"],
    )
    age = GaugeMetricFamily(
        "kompetenslyft_deliveries_oldest_age_seconds",
        "Age of the oldest pending or dead delivery, per target",
        labels=["target", "status"],
    )
    for queue in queues:
        depth.add_metric([queue.target, queue.status], queue.count)
        age.add_metric([queue.target, queue.status], _age(now, queue.oldest))
    yield depth
    yield age


def _sync_target_families(targets, now):
    labels = ["sync_target_id", "organisation_id", "kind"]
    pending = GaugeMetricFamily(
        "kompetenslyft_sync_target_pending", "Completions waiting for a sync target", labels=labels
    )
    dead = GaugeMetricFamily(
        "kompetenslyft_sync_target_dead",
        "Completions a sync target refused for good",
        labels=labels,
    )
    age = GaugeMetricFamily(
        "kompetenslyft_sync_target_oldest_pending_age_seconds",
        "Age of the oldest completion waiting for a sync target",
        labels=labels,
    )
    enabled = GaugeMetricFamily(
        "kompetenslyft_sync_target_enabled", "1 when the sync target is switched on", labels=labels
    )
    success = GaugeMetricFamily(
        "kompetenslyft_sync_target_last_success_timestamp_seconds",
        "When the sync target last accepted a delivery (Unix time; absent: never)",
        labels=labels,
    )
    failure = GaugeMetricFamily(
        "kompetenslyft_sync_target_last_error_timestamp_seconds",
        "When the sync target last failed (Unix time; absent: never)",
        labels=labels,
    )
    for target in targets:
        values = [str(target.sync_target_id), str(target.organisation_id), target.kind]
        pending.add_metric(values, target.pending)
        dead.add_metric(values, target.dead)
        age.add_metric(values, _age(now, target.oldest_pending))
        enabled.add_metric(values, 1 if target.enabled else 0)
        if target.last_success_at:
            success.add_metric(values, target.last_success_at.timestamp())
        if target.last_error_at:
            failure.add_metric(values, target.last_error_at.timestamp())
    yield from (pending, dead, age, enabled, success, failure)


def _job_families(runs):
    duration = GaugeMetricFamily(
        "kompetenslyft_job_last_duration_seconds",
        "How long the job's last finished run took",
        labels=["job"],
    )
    finished = GaugeMetricFamily(
        "kompetenslyft_job_last_finished_timestamp_seconds",
        "When the job's last run finished (Unix time)",
        labels=["job"],
    )
    success = GaugeMetricFamily(
        "kompetenslyft_job_last_success",
        "1 when the job's last run ended ok or skipped (nothing to do), 0 when it failed",
        labels=["job"],
    )
    for run in runs:
        duration.add_metric([run.job_id], (run.finished_at - run.started_at).total_seconds())
        finished.add_metric([run.job_id], run.finished_at.timestamp())
        success.add_metric([run.job_id], 0 if run.outcome == "failed" else 1)
    yield from (duration, finished, success)
