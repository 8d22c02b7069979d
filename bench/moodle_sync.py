"""Moodle learning-plan figures: N people's completions delivered to the Moodle double
(tests/support/moodle_ws.py, on loopback), first when every plan is new, then a second
completion each once the plans exist; and one poll of N completed plan courses.

    .venv/bin/python -m bench.moodle_sync [--database URL] [--people N]

The double answers in microseconds, so the figures are the tool's own cost per delivery
(web-service calls, remote-id cache, outbox); a real Moodle adds its latency per call:
14 calls for a new plan and three ratings, 9 for three further ratings.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from config import load_settings
from storage import Database, migrate
from sync.moodle_completions import poll_moodle_completions
from tests.support.moodle_ws import MoodleDouble
from tests.sync.moodle import SECRET_KEY, completion, learner, organisation_with_moodle, send
from tests.sync.test_moodle_completions import agreed_plan_with_course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument("--people", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        moodle = MoodleDouble()
        try:
            ids = organisation_with_moodle(
                database, moodle, framework_idnumber="DIGCOMP-H", competency_prefix="DC-"
            )
            people = [learner(database, ids["organisation"], 100 + n) for n in range(args.people)]
            for round_number in (1, 2):
                for n, who in enumerate(people):
                    levels = {"1.1": 3, "2.1": 4, "3.1": 5}
                    completion(database, ids, who, levels, f"r{round_number}-{n}")
                started = time.perf_counter()
                delivered = 0
                while True:
                    counts = send(database)
                    delivered += counts.delivered
                    if not counts.delivered:
                        break
                elapsed = time.perf_counter() - started
                print(
                    f"round {round_number}: {delivered} deliveries in {elapsed:.2f} s "
                    f"({1000 * elapsed / max(delivered, 1):.1f} ms each), "
                    f"{len(moodle.calls)} web-service calls so far"
                )
            for who in people:
                agreed_plan_with_course(database, ids, who, f"{moodle.url}/course/view.php?id=2")
            for n in range(args.people):
                moodle.complete_course(2, 100 + n)
            settings = load_settings(
                environ={},
                overrides={"database_url": url, "instance_path": folder, "secret_key": SECRET_KEY},
            )
            started = time.perf_counter()
            counts = poll_moodle_completions(database, settings)
            elapsed = time.perf_counter() - started
            print(f"poll: {counts.asked} courses, {counts.new_events} events, {elapsed:.2f} s")
        finally:
            moodle.stop()
            database.dispose()


if __name__ == "__main__":
    main()
