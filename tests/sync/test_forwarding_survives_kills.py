"""The scheduler process killed (SIGKILL) mid-batch 20 times: the LRS still ends with every
statement exactly once.

The LRS holds each POST until the test has killed the sender: half the time before
Ralph writes the batch (the statements never arrived), half the time after (they
arrived, but the sender never heard so).  Each kill leaves leased deliveries behind;
their lease runs out and a later process sends them again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from storage import Database, DeliveryStatus
from tests.support.ralph_lrs import RalphLrs
from tests.sync.forwarding import (
    SECRET_KEY,
    deliveries,
    learner_statements,
    organisation_with_lrs,
    record_all,
)

KILLS = 20


@pytest.fixture
def ralph(tmp_path):
    server = RalphLrs(tmp_path / "lrs").start()
    yield server
    server.stop()


@pytest.fixture
def database_url(own_database_url):
    return own_database_url


def start_scheduler(database_url: str, instance: Path) -> subprocess.Popen:
    environ = {
        **os.environ,
        "KOMPETENSLYFT_MODE": "development",
        "KOMPETENSLYFT_DATABASE_URL": database_url,
        "KOMPETENSLYFT_SECRET_KEY": SECRET_KEY,
        "KOMPETENSLYFT_INSTANCE_PATH": str(instance),
        "KOMPETENSLYFT_DELIVERY_INTERVAL_SECONDS": "1",
        "KOMPETENSLYFT_DELIVERY_LEASE_SECONDS": "2",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "kompetenslyft"), "scheduler"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_mid_batch_20_times_leaves_the_lrs_with_each_statement_once(
    database_url, ralph, tmp_path
):
    database = Database(database_url)
    organisation, _ = organisation_with_lrs(database, ralph, batch_size=50)
    made = learner_statements(600)
    record_all(database, organisation, made)

    for kill in range(KILLS):
        where = "after" if kill % 2 == 0 else "before"
        ralph.control(hold=where)
        scheduler = start_scheduler(database_url, tmp_path)
        try:
            ralph.wait_until(lambda state, where=where: state["held"] == where)
        finally:
            scheduler.kill()
            scheduler.wait(timeout=30)
        ralph.control(hold=None, release="continue" if where == "after" else "drop")

    written_while_killing = len(ralph.statement_ids())
    scheduler = start_scheduler(database_url, tmp_path)
    try:
        deadline = time.monotonic() + 120
        while deliveries(database, organisation) != {DeliveryStatus.DELIVERED: 600}:
            assert time.monotonic() < deadline, deliveries(database, organisation)
            assert scheduler.poll() is None, "the scheduler exited"
            time.sleep(0.1)
    finally:
        scheduler.kill()
        scheduler.wait(timeout=30)
        database.dispose()

    # Some batches reached the LRS without the sender hearing so, and were sent again.
    assert written_while_killing >= 50
    assert Counter(ralph.statement_ids()) == Counter(s["id"] for s in made)
    assert max(Counter(ralph.statement_ids()).values()) == 1
