"""Running a scheduled job once: which instance is this, is a lease holder dead, and
recording the run.

The runs and leases themselves (rows and SQL) are storage/jobs.py's; when each job runs is
sync/scheduler.py's.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import traceback
import uuid
from collections.abc import Callable

from storage import Database
from storage.jobs import finish_run, start_run

SCHEDULER_LEASE = "scheduler"


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


def recorded(database: Database, job_id: str, instance: str, function: Callable[[], object]):
    """Run `function` as one JobRun: outcome ok with its counts, or failed with the error."""
    run_id = start_run(database, job_id, instance)
    outcome, counts, error = "ok", {}, None
    try:
        counts = counts_of(function())
    except Exception as failure:  # recorded for the admins; the scheduler goes on
        outcome = "failed"
        error = "".join(traceback.format_exception_only(failure)).strip()[:2000]
    finish_run(database, run_id, outcome, counts, error)
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
