"""`make bench`: every benchmark in turn, one table at the end.

    .venv/bin/python -m bench [--quick] [--only web,xapi] [--workers 2]

Each module in BENCHES has `run(options) -> list[Figure]` (bench/results.py). The table is
printed and written to bench/out/latest.md and latest.json (with the machine's description);
the README's performance section shows the latest table. Nothing here is a pass/fail test:
a target that is not met is reported, not failed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from bench.results import BenchOptions, Figure, write

BENCHES = {
    "web": "bench.web",  # launches, answer saves, worker memory, under gunicorn
    "xapi": "bench.xapi",  # enqueue cost, forwarding statements/s
    "sync": "bench.sync",  # completions/s to HR CSV and the HR REST double
    "reports": "bench.reports",  # organisation radar and indicators at 50,000 people
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks and print one table.")
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the harness)")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benches")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "KOMPETENSLYFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL of PostgreSQL; each bench makes and drops its own database",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args(argv)
    options = BenchOptions(
        postgres_admin_url=args.postgres, quick=args.quick, workers=args.workers, work_dir=args.out
    )
    figures: list[Figure] = []
    for name in [name.strip() for name in args.only.split(",") if name.strip()]:
        if name not in BENCHES:
            parser.error(f"no bench {name!r}; there are {', '.join(BENCHES)}")
        started = time.perf_counter()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        found = importlib.import_module(BENCHES[name]).run(options)
        print(f"== {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        figures.extend(found)
    table, _ = write(figures, options)
    print(table.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
