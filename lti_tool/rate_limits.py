"""Rate limits on login initiation, launch and the Statement API, counted in the database.

Fixed one-minute windows per (bucket, client): cheap (one upsert a request) and shared
by every worker.  A client may, at a window's edge, get up to twice its limit within a
minute; the limits are generous ceilings against floods, not quotas, so that is accepted.

Each count runs on its own short connection and commits at once: the request's own
transaction is neither disturbed nor made to hold the counter row.  When the database
cannot be reached the limiter lets the request through (and logs it): the tool needs the
database anyway, and a limiter must never be the thing that takes it down.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lti_tool import metrics
from storage.rate_limits import count_request, forget_windows_before

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# One request in this many also deletes windows older than two windows: the table stays
# a few rows per active client without a job to schedule.
CLEANUP_ONE_IN = 200


class RateLimited(Exception):
    """Too many requests from one client in this window; `retry_after` seconds to wait."""

    def __init__(self, bucket: str, retry_after: int) -> None:
        super().__init__(bucket)
        self.bucket = bucket
        self.retry_after = retry_after


@dataclass
class RateLimiter:
    # Seconds since the epoch; tests replace it to roll windows over without sleeping.
    clock: Callable[[], float] = time.time
    cleanup_chance: Callable[[], bool] = lambda: secrets.randbelow(CLEANUP_ONE_IN) == 0

    def check(self, bucket: str, key: str, limit: int) -> None:
        """Count this request; raise RateLimited when it is over `limit` in this window."""
        if limit <= 0:
            return
        now = self.clock()
        start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
        window_start = datetime.fromtimestamp(start, UTC)
        try:
            with current_app.extensions["database"].engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    # A count lost in a crash costs nothing; not waiting for the WAL flush
                    # saves most of the write's time.
                    connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
                count = count_request(connection, bucket, key, window_start)
                if self.cleanup_chance():
                    forget_windows_before(
                        connection, window_start - timedelta(seconds=WINDOW_SECONDS)
                    )
        except SQLAlchemyError:
            log.warning("rate limit %s: database unreachable, request let through", bucket)
            return
        if count > limit:
            metrics.rate_limited(bucket)
            raise RateLimited(bucket, retry_after=max(1, start + WINDOW_SECONDS - int(now)))


def limit_client(bucket: str, setting: str) -> None:
    """Limit a browser route per client IP address (ProxyFix has set it from proxy_count)."""
    limit = getattr(current_app.config["SETTINGS"], setting)
    current_app.extensions["rate_limiter"].check(bucket, request.remote_addr or "-", limit)


def init_app(app: Flask) -> None:
    app.extensions["rate_limiter"] = RateLimiter()
