"""The HR senders, ready for the scheduler: one line registers them.

    senders = build_hr_senders(settings)
    deliver_hr_records(database, senders)        # batches: hr.files, and hr.rest

`senders["hr.rest"]` is also a plain outbox Sender (callable with a session and
a payload) for sync.dispatcher.deliver_due, one request per delivery; `hr.files`
is sent in batches only (one file per delivery would swamp HR's folder).
"""

from __future__ import annotations

from config import Settings
from outbound.http_client import make_http_session
from sync.hr_delivery import BatchSender
from sync.hr_files import HrFilesSender
from sync.hr_records import HR_FILES, HR_REST
from sync.hr_rest import HrRestClient, HrRestSender


def build_hr_senders(settings: Settings) -> dict[str, BatchSender]:
    http = make_http_session(timeout=settings.http_timeout_seconds, retries=0)
    return {
        HR_REST: HrRestSender(HrRestClient(http), settings.secret_key),
        HR_FILES: HrFilesSender(
            settings.secret_key, timeout=max(settings.http_timeout_seconds, 10)
        ),
    }
