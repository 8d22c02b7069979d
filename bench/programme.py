"""Programme follow-up figures: what the programme page's counting costs for a large organisation.

    .venv/bin/python -m bench.programme [--database URL] [--people N]

Seeds one organisation of N people with lti_tool/dev_platform/programme_seed.py (the same rules as
the 200-person test organisation) into a new SQLite file, or an empty PostgreSQL
database given with --database, then times fetching the rows (five bulk queries) and
computing every table of /programme (indicators by each split, development over time,
unit profiles) and of /programme/maturity.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from competence import programme as p
from competence.frameworks import digcomp
from competence.maturity import maturity_framework
from lti_tool.dev_platform.programme_seed import seed_programme
from storage import Database, Organisation, migrate
from storage.programme_data import organisation_facts


def timed(work, repeat: int = 5) -> float:
    """Median milliseconds of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database")
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        migrate.upgrade(url)
        database = Database(url)
        started = time.perf_counter()
        with database.transaction() as session:
            organisation = Organisation(slug="bench", name="Bench")
            session.add(organisation)
            session.flush()
            seed_programme(session, organisation.id, "https://bench.invalid", size=args.people)
            organisation_id = organisation.id
        print(f"seeded {args.people} people in {time.perf_counter() - started:.1f} s")
        with database.sessions() as session:
            fetch = timed(lambda: organisation_facts(session, organisation_id))
            facts = organisation_facts(session, organisation_id)
        print(f"rows: {len(facts.attempts)} attempts, fetched in {fetch:.0f} ms (median)")
        year = p.Period(2026)
        areas = [a.id for a in digcomp().areas]

        def programme_page():
            outcomes = p.outcomes(facts, year)
            for split in (None, *p.SPLITS):
                p.split_figures(outcomes, split)
            p.over_time(facts, year.history(3))
            latest = p.latest_results(facts.attempts, framework_key="digcomp-2.2", until=year.end)
            p.profiles_by_unit(p.members(facts, year), latest, areas)

        maturity_areas = [a.id for a in maturity_framework().areas]
        print(f"/programme counting: {timed(programme_page):.0f} ms (median, all four splits)")
        maturity = timed(lambda: p.maturity_by_year(facts, year.history(3), maturity_areas))
        print(f"/programme/maturity counting: {maturity:.0f} ms (median)")
        database.dispose()


if __name__ == "__main__":
    main()
