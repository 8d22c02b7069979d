"""gunicorn settings for the web container (docker/Dockerfile's CMD names this file).

Read by gunicorn as its config file; gunicorn's own environment variables still apply:
WEB_CONCURRENCY (workers), FORWARDED_ALLOW_IPS, PORT, and GUNICORN_CMD_ARGS, which overrides
anything here (e.g. GUNICORN_CMD_ARGS="--threads 8 --timeout 120").

Forwarded headers are trusted in two places that must agree: gunicorn's forwarded_allow_ips
(which peers may say the request came over https) and the app's KOMPETENSLYFT_PROXY_COUNT
(how many X-Forwarded-* hops werkzeug's ProxyFix believes: scheme, host, client address).
Behind one reverse proxy: PROXY_COUNT=1, and FORWARDED_ALLOW_IPS the proxy's address (or `*`
when only the proxy can reach this port, as in docker/compose.yaml).

Logs: the tool writes one JSON line per request itself (lti_tool.access, see
docs/operations-monitoring.md), so gunicorn's access log stays off, and gunicorn's own lines
(workers starting, timeouts) go through the tool's JSON handler: the container's log stream
is JSON throughout. The launch session token (`ls`, lti_tool/sessions.py) travels in query
strings: gunicorn's lines have query strings masked, and the access format below, should
someone switch it on (GUNICORN_CMD_ARGS="--access-logfile -"), has none.

Metrics: each worker counts in its own process; PROMETHEUS_MULTIPROC_DIR (a folder in /tmp,
in memory in the container, emptied when gunicorn starts) lets any worker's /metrics add
them all up.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import tempfile

from gunicorn.glogging import Logger

bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]


def default_workers() -> int:
    """2 x cores + 1, at most 8: past that the database, not Python, is what waits."""
    cores = len(os.sched_getaffinity(0))
    return min(2 * cores + 1, 8)


workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
# Threads let a worker answer while another request waits on PostgreSQL (bench/web.py
# measured gthread x 4 against sync workers).
worker_class = "gthread"
threads = 4
# A request taking longer than this is stuck (the slowest page, a plan's PDF, takes seconds).
timeout = 60
# On SIGTERM (docker stop, an upgrade) requests in flight get this long to finish; compose's
# stop_grace_period is longer, so docker does not kill them first.
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about this many requests, so slow leaks cannot grow unbounded;
# the jitter keeps workers from restarting all at once.
max_requests = 2000
max_requests_jitter = 200
# Not preloaded: each worker makes its own app and database pool after the fork. The app
# never migrates (that is the one-shot `migrate` service), so workers start quickly.
preload_app = False
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Heartbeat files in memory: a container's /tmp is an overlay that may stall the check.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# gunicorn's control socket would be written to the home folder; nothing here uses it.
control_socket_disable = True

# Off: lti_tool.access logs every request (path, status, duration, request id) as JSON.
accesslog = None
errorlog = "-"
loglevel = "info"
# Only if switched on: time, method, path (never the query string), protocol, status, bytes,
# milliseconds. No client address, referrer (it carries the `ls` token of the page before)
# or user agent: the reverse proxy's log is where addresses are kept.
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

# prometheus_client reads this when a worker imports the app (after the fork, no preload).
METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "kompetenslyft-metrics")
)

QUERY_STRING = re.compile(r"\?[^\s\"']*")


class QueryStringMask(logging.Filter):
    """Masks every query string in a gunicorn log line (e.g. "Error handling request /x?ls=…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = QUERY_STRING.sub("?…", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class JsonLinesLogger(Logger):
    """gunicorn's own log lines through the tool's JSON handler (lti_tool.request_logs)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        from config import load_settings
        from lti_tool.request_logs import configure_logging

        configure_logging(load_settings())
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
            log.addFilter(QueryStringMask())


logger_class = JsonLinesLogger


def on_starting(server) -> None:
    """Before any worker: the last run's count files go, this run's counts start from zero."""
    os.makedirs(METRICS_DIR, mode=0o700, exist_ok=True)
    for counts in glob.glob(os.path.join(METRICS_DIR, "*.db")):
        os.remove(counts)
