"""The HR delivery process killed (SIGKILL) mid-batch again and again: HR's REST API and
HR's SFTP folder still end with every record exactly once.

Each kill comes while HR holds a request: half the time before HR stores it (it never
arrived), half the time after (it arrived, but the sender never heard so).  The killed
process's leases run out and a later process sends the same deliveries again: REST under
the same idempotency keys, files under the same file names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from storage import Database, DeliveryStatus, migrate
from tests.support.hr_records import (
    add_target,
    complete,
    expected_record_ids,
    organisation_with_staff,
    queue,
    statuses,
)
from tests.support.hr_rest_double import API_KEY, HMAC_KEY, HrRestDouble
from tests.support.sftp_server import PASSWORD, USERNAME, SftpServer

KILLS = 10
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_url(empty_database_url):
    url = empty_database_url()
    migrate.upgrade(url)
    return url


def start_sender(database_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.hr_delivery_loop", database_url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_until_delivered(database, database_url, target, expected: int) -> None:
    sender = start_sender(database_url)
    try:
        deadline = time.monotonic() + 120
        while statuses(database, target) != {DeliveryStatus.DELIVERED: expected}:
            assert time.monotonic() < deadline, statuses(database, target)
            assert sender.poll() is None, "the sender exited"
            time.sleep(0.1)
    finally:
        sender.kill()
        sender.wait(timeout=30)


def test_rest_sender_killed_mid_batch_leaves_hr_with_each_record_once(database_url):
    database = Database(database_url)
    hr = HrRestDouble()
    try:
        organisation = organisation_with_staff(database)
        target = add_target(
            database,
            organisation,
            "hr_rest",
            {"url": hr.url, "auth": "api_key", "mode": "batch", "batch_size": 10},
            {"api_key": API_KEY, "hmac_key": HMAC_KEY},
        )
        events = complete(database, organisation, 120)
        queue(database, target, events)

        for kill in range(KILLS):
            where = "after" if kill % 2 == 0 else "before"
            hr.set(hold=where)
            sender = start_sender(database_url)
            try:
                hr.wait_until(lambda double: double.held >= 1)
            finally:
                sender.kill()
                sender.wait(timeout=30)
            hr.release(drop=where == "before")
            hr.wait_until(lambda double: double.held == 0)

        stored_while_killing = len(hr.effects)
        run_until_delivered(database, database_url, target, 120)

        assert stored_while_killing >= 10
        assert hr.violations == []
        assert hr.stored == expected_record_ids(events, target)
        # Batches stored while their sender was being killed were sent again, stored once.
        resent = [key for key, count in hr.receipts.items() if ":" in key and count > 1]
        assert len(resent) >= 10
        assert all(hr.stored[f"{key}/1.1"] == 1 for key in resent)
    finally:
        hr.stop()
        database.dispose()


def test_files_sender_killed_between_upload_and_rename_leaves_each_record_in_one_file(
    database_url, tmp_path
):
    database = Database(database_url)
    sftp = SftpServer(tmp_path / "sftp")
    (tmp_path / "sftp" / "inbox").mkdir()
    try:
        organisation = organisation_with_staff(database)
        target = add_target(
            database,
            organisation,
            "hr_files",
            {
                "sftp_host": "127.0.0.1",
                "sftp_port": sftp.port,
                "sftp_username": USERNAME,
                "sftp_host_key": sftp.known_host,
                "sftp_folder": "/inbox",
            },
            {"password": PASSWORD},
        )
        events = complete(database, organisation, 200)
        queue(database, target, events[:100])

        for kill in range(KILLS):
            if kill == KILLS // 2:
                queue(database, target, events[100:])  # new completions while it struggles
            sftp.hold_renames()
            sender = start_sender(database_url)
            try:
                assert sftp.renames_held.wait(timeout=60), "no upload reached the rename"
            finally:
                sender.kill()
                sender.wait(timeout=30)
            sftp.release()

        run_until_delivered(database, database_url, target, 200)

        inbox = tmp_path / "sftp" / "inbox"
        in_files: Counter = Counter()
        for path in sorted(inbox.glob("*.csv")):
            rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter=";"))
            in_files.update(row["record_id"] for row in rows)
        assert in_files == expected_record_ids(events, target)
        for path in inbox.glob("*.csv"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert (inbox / f"{path.name}.sha256").read_text() == f"{digest}  {path.name}\n"
    finally:
        sftp.stop()
        database.dispose()
