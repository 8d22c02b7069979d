"""HR files figures: 100,000 completion events exported to CSV (the acceptance limit is 10 s).

    .venv/bin/python -m bench.hr_files [--database URL] [--events N] [--batch N]

Creates the events (one competence level each, 5,000 employees) and their
deliveries to an `hr_files` folder target, then times the delivery job: claim,
load, build records, write the CSV files atomically with checksums, mark
delivered.  Without --database it uses a new SQLite file; give an empty
PostgreSQL database's URL for production figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from storage import CompletionEvent, Database, Delivery, Employee, Organisation, SyncTarget, migrate
from storage.completions import TARGET_OF_KIND
from storage.outbox import DeliveryStatus
from sync.hr_delivery import deliver_hr_records
from sync.hr_files import HrFilesSender
from sync.hr_records import HR_FILES, delivery_key


def seed(
    database: Database,
    events: int,
    folder: Path | None = None,
    *,
    kind: str = "hr_files",
    settings: dict | None = None,
    sealed_secret: str | None = None,
) -> int:
    """An organisation of 5,000 employees, `events` completions and their deliveries to one
    HR target (a folder by default); returns the target's id."""
    started = datetime(2026, 1, 1, tzinfo=UTC)
    with database.transaction() as session:
        organisation = Organisation(slug=f"bench-{time.time_ns()}", name="Bench")
        session.add(organisation)
        session.flush()
        org = organisation.id
        session.execute(
            insert(Employee),
            [
                {"organisation_id": org, "employee_number": f"E{n:06d}", "name": f"P {n}"}
                for n in range(5000)
            ],
        )
        employees = session.scalars(select(Employee.id).where(Employee.organisation_id == org))
        employees = list(employees)
        target = SyncTarget(
            organisation_id=org,
            kind=kind,
            settings=settings or {"folder": str(folder)},
            sealed_secret=sealed_secret,
            enabled=True,
        )
        session.add(target)
        session.flush()
        target_id = target.id
        competences = ["1.1", "1.2", "2.1", "2.4", "3.1", "4.2", "5.3"]
        session.execute(
            insert(CompletionEvent),
            [
                {
                    "organisation_id": org,
                    "source": "tool.plan_item",
                    "source_key": f"item-{n}",
                    "employee_id": employees[n % len(employees)],
                    "kind": "activity",
                    "framework_key": "digcomp-2.2",
                    "levels": {competences[n % 7]: 1 + n % 8},
                    "completed_at": started + timedelta(seconds=n),
                    "evidence": {"title": f"Kurs {n % 40}", "url": "https://moodle.example.se/c"},
                }
                for n in range(events)
            ],
        )
        ids = session.scalars(
            select(CompletionEvent.id).where(CompletionEvent.organisation_id == org)
        ).all()
        now = datetime.now(UTC)
        session.execute(
            insert(Delivery),
            [
                {
                    "id": str(uuid.uuid4()),
                    "target": TARGET_OF_KIND[kind],
                    "key": delivery_key(target_id, event_id),
                    "payload": {"completion_event_id": event_id, "sync_target_id": target_id},
                    "organisation_id": org,
                    "status": DeliveryStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now - timedelta(seconds=1),
                    "created_at": now,
                }
                for event_id in ids
            ],
        )
    return target_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000, help="deliveries per file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-hr-files-"))
    url = args.database or f"sqlite:///{workdir / 'b.db'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        seeding = time.perf_counter()
        seed(database, args.events, workdir / "hr")
        print(f"seeded {args.events:,} events in {time.perf_counter() - seeding:.1f} s")
        started, cpu = time.perf_counter(), time.process_time()
        counts = deliver_hr_records(
            database,
            {HR_FILES: HrFilesSender(secret_key="")},  # a folder needs no secrets
            batch=args.batch,
            max_batches=args.events // args.batch + 2,
        )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        files = sorted((workdir / "hr").glob("*.csv"))
        rows = sum(path.read_bytes().count(b"\n") - 1 for path in files)
        print(
            f"exported {counts.delivered:,} events as {rows:,} rows in {len(files)} files: "
            f"{elapsed:.2f} s ({counts.delivered / elapsed:,.0f} events/s), "
            f"of which this process's CPU {cpu:.2f} s (the rest: waiting on the database "
            "or on other processes of a busy machine)"
        )
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
