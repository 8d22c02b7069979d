"""The HR delivery job in a process of its own, so a test can SIGKILL it mid-batch.

`python -m tests.support.hr_delivery_loop DATABASE_URL` runs
sync.hr_delivery.deliver_hr_records with a 2-second lease, over and over,
until killed; the same senders as the scheduler's (sync.hr_senders).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from config import Settings
from storage import Database
from sync.hr_delivery import deliver_hr_records
from sync.hr_senders import build_hr_senders
from tests.support.hr_records import SECRET_KEY


def main(database_url: str) -> None:
    database = Database(database_url)
    settings = Settings(secret_key=SECRET_KEY, http_timeout_seconds=60.0)
    senders = build_hr_senders(settings)
    while True:
        deliver_hr_records(database, senders, lease=timedelta(seconds=2), batch=25)
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1])
