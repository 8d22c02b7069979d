"""What an administrator asks of the sync jobs from the admin pages is saved at once, so
the scheduler (another process) sees it."""

from __future__ import annotations

import uuid

from storage.jobs import requested_job_ids
from sync.admin import run_job_now


def test_run_now_is_seen_by_the_scheduler_at_its_next_tick(database):
    job_id = f"test-{uuid.uuid4().hex[:8]}"
    with database.sessions() as session:
        run_job_now(session, job_id)
    with database.sessions() as scheduler:
        assert job_id in requested_job_ids(scheduler)
