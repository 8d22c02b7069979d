"""What an administrator asks of the sync jobs from the admin pages: run a job now, send
a target's or a record store's waiting records at once, make the framework in Moodle.

Each owns its transaction (commits before it returns), so the page only reads the
request, calls and says what happened.
"""

from __future__ import annotations

import requests
from sqlalchemy.orm import Session

from storage.completions import SyncTarget
from storage.jobs import request_run
from storage.lrs import CredentialsUnavailable, LrsEndpoint
from sync.hr_delivery import resume_target
from sync.moodle_frameworks import FrameworkInMoodle, create_framework_in_moodle
from sync.moodle_ws import MoodleError, MoodleUnavailable
from sync.xapi_forwarding import resume as resume_forwarding

# What stops the tool from creating the framework in Moodle; the page words it.
MOODLE_REFUSALS = (MoodleError, MoodleUnavailable, CredentialsUnavailable)


def run_job_now(session: Session, job_id: str) -> None:
    """The next scheduler tick runs the job."""
    request_run(session, job_id)
    session.commit()


def resume_sync_target(session: Session, target: SyncTarget) -> int:
    """The target's waiting records are sent at the next run instead of after their
    backoff; how many wait."""
    waiting = resume_target(session, target)
    session.commit()
    return waiting


def resume_record_store(session: Session, lrs: LrsEndpoint) -> int:
    """The LRS's pause is lifted and its waiting statements are due; how many wait."""
    waiting = resume_forwarding(session, lrs)
    session.commit()
    return waiting


def make_moodle_framework(
    session: Session, target: SyncTarget, http: requests.Session, secret_key: str
) -> FrameworkInMoodle:
    """`create_framework_in_moodle` (what it made is committed as Moodle makes it); on one
    of MOODLE_REFUSALS what is left uncommitted is rolled back and the error raised."""
    try:
        return create_framework_in_moodle(session, target, http, secret_key)
    except MOODLE_REFUSALS:
        session.rollback()
        raise
