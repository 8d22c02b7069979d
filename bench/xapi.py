"""xAPI figures: what recording a statement costs on the request path, and how fast the
forwarding job empties the outbox into an LRS on loopback (Ralph's own server).

    .venv/bin/python -m bench.xapi [--database URL] [--statements N] [--batch-size B]

Without --database it uses a new SQLite file; give a PostgreSQL URL (an empty
database, e.g. `createdb -h 127.0.0.1 -U postgres bench`) for production figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from lti.http_client import make_http_session
from storage import Database, migrate
from sync.xapi_forwarding import forward_statements
from tests.support.ralph_lrs import RalphLrs
from tests.sync.forwarding import SECRET_KEY, learner_statements, organisation_with_lrs
from xapi.lrs_client import LrsClient
from xapi.record import record_json

PER_EVENT = 1  # a statement per transaction, as when a learner answers one question


def enqueue_cost(database: Database, organisation: int, made: list[dict]) -> list[float]:
    """Microseconds per statement for record_json (store, index, queue), commit excluded."""
    costs = []
    for statement in made:
        with database.transaction() as session:
            started = time.perf_counter()
            record_json(session, statement, organisation)
            session.flush()
            costs.append((time.perf_counter() - started) * 1e6)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-xapi-"))
    url = args.database or f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    database = Database(url)
    lrs = RalphLrs(workdir / "lrs").start()
    try:
        organisation, _ = organisation_with_lrs(database, lrs, batch_size=args.batch_size)
        made = learner_statements(args.statements, learner=f"bench-{time.time_ns()}")
        costs = enqueue_cost(database, organisation, made)
        costs.sort()
        print(f"database: {database.engine.dialect.name}")
        print(
            f"record (store + index + queue) per statement: median {statistics.median(costs):.0f}"
            f" µs, p95 {costs[int(len(costs) * 0.95)]:.0f} µs, n={len(costs)}"
        )

        client = LrsClient(make_http_session(timeout=30, retries=0))
        started = time.perf_counter()
        delivered = 0
        while delivered < len(made):
            counts = forward_statements(database, client, SECRET_KEY, max_batches=10_000)
            if counts.delivered == 0:
                raise SystemExit(f"forwarding stalled at {delivered}: {counts}")
            delivered += counts.delivered
        elapsed = time.perf_counter() - started
        print(
            f"forwarding to Ralph (file backend) in batches of {args.batch_size}: "
            f"{delivered} statements in {elapsed:.1f} s = {delivered / elapsed:.0f} statements/s"
        )
        assert len(lrs.statement_ids()) == len(made)
    finally:
        lrs.stop()
        database.dispose()


if __name__ == "__main__":
    main()
