"""Completion figures: N Moodle course completions ingested (each fanned out to an HR target
and the plan), then every plan.item delivery sent by the dispatcher in batches of 100.

    .venv/bin/python -m bench.completions [--database URL] [--events N]

Without --database it uses a new SQLite file; give an empty PostgreSQL database's URL
for production figures.  The world (one employee whose plan has N course items) is the
tests' (tests/sync/completion_world.py).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from storage import Database, migrate
from sync.completions import own_senders
from sync.dispatcher import deliver_due
from tests.sync.completion_world import add_target, course_completed, make_world


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database")
    parser.add_argument("--events", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        world = make_world(database, items=options.events)
        add_target(database, world, "hr_rest")

        started = time.perf_counter()
        for number in range(options.events):
            course_completed(database, world, number)
        ingested = time.perf_counter() - started

        senders = own_senders("https://kompetenslyft.example.se")
        started = time.perf_counter()
        delivered = 0
        while True:
            counts = deliver_due(database, senders)
            if not counts.delivered:
                break
            delivered += counts.delivered
        sent = time.perf_counter() - started
        database.dispose()
    print(
        f"{options.events} completions ingested in {ingested:.2f} s "
        f"({options.events / ingested:.0f}/s, one transaction each); "
        f"{delivered} plan.item deliveries in {sent:.2f} s ({delivered / sent:.0f}/s)"
    )


if __name__ == "__main__":
    main()
