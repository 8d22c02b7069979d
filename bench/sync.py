"""Sync figures: completions/s to HR's CSV connector (100,000 to files in a folder) and to
HR's REST API (the contract's double on loopback, in batches), on PostgreSQL and SQLite.

Each run seeds an organisation of 5,000 employees and N completions with their HR
deliveries in bulk (bench/hr_files.py), then times the scheduler's `hr-records` job
(sync.hr_delivery.deliver_hr_records, the production batch size) until every delivery is
delivered: claim, load, build the records, write or POST them, mark delivered.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.databases import fresh_database
from bench.hr_files import seed
from bench.results import BenchOptions, Figure
from outbound.http_client import make_http_session
from storage import Database
from sync.hr_delivery import BATCH_SIZE, deliver_hr_records
from sync.hr_files import HrFilesSender
from sync.hr_records import HR_FILES, HR_REST
from sync.hr_rest import HrRestClient, HrRestSender
from sync.target_secrets import seal_secrets
from tests.support.hr_rest_double import API_KEY, HMAC_KEY, HrRestDouble

SECRET_KEY = "bench-sync-secret-key-0123456789abcdef0123"  # noqa: S105 - a bench's own


def _drain(database: Database, senders: dict, events: int) -> tuple[float, float, int]:
    """Wall and CPU seconds until `events` deliveries are delivered; how many were."""
    started, cpu = time.perf_counter(), time.process_time()
    delivered = 0
    while delivered < events:
        counts = deliver_hr_records(database, senders, max_batches=10_000)
        if counts.delivered == 0:
            raise RuntimeError(f"the HR job stalled at {delivered} of {events}: {counts}")
        delivered += counts.delivered
    return time.perf_counter() - started, time.process_time() - cpu, delivered


def csv_figure(url: str, kind: str, events: int) -> Figure:
    database = Database(url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-hr-") as folder:
            seed(database, events, Path(folder))
            wall, cpu, delivered = _drain(
                database,
                {
                    HR_FILES: HrFilesSender(""),
                },
                events,
            )
            files = list(Path(folder).glob("*.csv"))
            rows = sum(path.read_bytes().count(b"\n") - 1 for path in files)
    finally:
        database.dispose()
    return Figure(
        "sync",
        f"{events:,} completions to HR CSV files ({_name(kind)})",
        wall,
        "s",
        target=10.0 if events >= 100_000 else None,
        better="lower",
        detail={
            "completions_per_s": round(delivered / wall),
            "cpu_s": round(cpu, 2),
            "files": len(files),
            "rows": rows,
            "batch": BATCH_SIZE,
        },
    )


def rest_figure(url: str, kind: str, events: int, batch_size: int) -> Figure:
    database = Database(url)
    hr = HrRestDouble(check_contract=False)
    try:
        seed(
            database,
            events,
            kind="hr_rest",
            settings={"url": hr.url, "auth": "api_key", "mode": "batch", "batch_size": batch_size},
            sealed_secret=seal_secrets(SECRET_KEY, {"api_key": API_KEY, "hmac_key": HMAC_KEY}),
        )
        sender = HrRestSender(HrRestClient(make_http_session(timeout=30, retries=0)), SECRET_KEY)
        wall, cpu, delivered = _drain(database, {HR_REST: sender}, events)
        stored = sum(hr.stored.values())
    finally:
        hr.stop()
        database.dispose()
    return Figure(
        "sync",
        f"completions/s to the HR REST double, batches of {batch_size} ({_name(kind)})",
        delivered / wall,
        "completions/s",
        detail={
            "completions": delivered,
            "records_stored": stored,
            "seconds": round(wall, 2),
            "this_process_cpu_s": round(cpu, 2),
            "note": "the double runs in this process: its CPU is counted too",
        },
    )


def _name(kind: str) -> str:
    return {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[kind]


def run(options: BenchOptions) -> list[Figure]:
    csv_events = 2_000 if options.quick else 100_000
    rest_events = 500 if options.quick else 20_000
    figures = []
    for kind in ("postgresql", "sqlite"):
        with fresh_database(kind, options.postgres_admin_url) as url:
            figures.append(csv_figure(url, kind, csv_events))
        with fresh_database(kind, options.postgres_admin_url) as url:
            figures.append(rest_figure(url, kind, rest_events, batch_size=100))
    return figures


if __name__ == "__main__":
    from bench.results import write

    found = run(BenchOptions())
    write(found, BenchOptions())
    print(Path("bench/out/latest.md").read_text())
