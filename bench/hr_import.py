"""HR import figures: a 10,000-row staff list, parsed and applied, first as new and then
with a tenth of the staff moved and a hundred leavers (the acceptance limit is 30 s).

    .venv/bin/python -m bench.hr_import [--database URL] [--rows N]

Without --database it uses a new SQLite file; give a PostgreSQL URL (an empty
database, e.g. `createdb -h 127.0.0.1 -U postgres bench`) for production figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from competence.staff_list import staff_list_from_csv
from storage import Database, Organisation, migrate
from storage.hr_import import apply_staff_list

HEADER = "employee_id;email;name;manager_employee_id;unit_code;unit_name;parent_unit_code;role\n"


def staff_csv(rows: int, moved_every: int = 0, leavers: int = 0) -> str:
    """A municipality: one director, managers of ten each, 50 units under one."""
    lines = [HEADER, "0;director@kommun.se;Director;;U0;Kommunen;;Direktör\n"]
    for n in range(1, rows - leavers):
        unit = n % 50 if not (moved_every and n % moved_every == 0) else (n + 1) % 50
        parent, name = ("U0", f"Enhet {unit}") if unit else ("", "Kommunen")
        lines.append(
            f"{n};p{n}@kommun.se;Person {n};{(n - 1) // 10};U{unit};{name};{parent};Roll {n % 7}\n"
        )
    return "".join(lines)


def timed(database: Database, organisation_id: int, content: str, dry_run: bool) -> float:
    started = time.perf_counter()
    rows = staff_list_from_csv(content)
    with database.transaction() as session:
        diff = apply_staff_list(session, organisation_id, rows, dry_run=dry_run)
    elapsed = time.perf_counter() - started
    print(f"  {'dry run' if dry_run else 'import '}: {elapsed:6.2f} s  {diff.summary()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-hr-')) / 'b.db'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            organisation = Organisation(slug=f"bench-{time.time_ns()}", name="Bench")
            session.add(organisation)
            session.flush()
            organisation_id = organisation.id
        print(f"database: {database.engine.dialect.name}, {args.rows} rows")
        first = staff_csv(args.rows)
        changed = staff_csv(args.rows, moved_every=10, leavers=100)
        worst = max(
            timed(database, organisation_id, first, dry_run=True),
            timed(database, organisation_id, first, dry_run=False),
            timed(database, organisation_id, changed, dry_run=True),
            timed(database, organisation_id, changed, dry_run=False),
        )
        print(f"slowest run: {worst:.2f} s (limit 30 s)")
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
