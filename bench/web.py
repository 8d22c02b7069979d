"""Web figures under gunicorn, as in production: LTI launches, answer saves, worker memory.

    .venv/bin/python -m bench --only web [--quick] [--workers 2]
    .venv/bin/python -m bench.web [--quick] [--databases postgresql,sqlite]
        [--worker-class gthread|sync] [--threads 4] [--profile launch|answer]

For each database (PostgreSQL, the target, and SQLite for comparison) a new migrated
database gets one organisation, a platform registration and its deployment; the platform's
JWKS is served on loopback. The tool runs as `gunicorn 'lti_tool:create_app()'` in
production mode (https public URL, long secret key, no dev platform, no scheduler in the
web workers) on a free loopback port; the harness plays the TLS-terminating proxy
(X-Forwarded-Proto/Host, KOMPETENSLYFT_PROXY_COUNT=1) and the learners' browsers.

- Launch: the whole LTI 1.3 flow per virtual user, each launch a new person (sub) in one of
  a few courses: POST /lti/login -> the cookie-check page with the authentication request
  (state, nonce) -> the platform signs an id_token (RS256) with that nonce -> POST
  /lti/launch with id_token, state and the state cookie -> 303 -> GET / (the assessment's
  start page). Claims are serialised up front; only nonce, iat and exp are added and signed
  per launch. Closed loop: each virtual user launches again as soon as the last finished.
- Answer saves: virtual users who launched and pressed Start each POST answers
  (csrf_token, answer, direction=next) to their attempt's items, one after another.
- Memory: VmRSS of each worker after warm-up and after 10,000 launches.

Every step is bounded by a count and a time (STEP_SECONDS) and only targets 127.0.0.1.
A request answered with anything but the expected 2xx/3xx, or not answered, is an error;
a launch or save with an error is counted apart and never in the rate or latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.databases import fresh_database
from bench.results import BenchOptions, Figure
from bench.web_server import (
    DATABASE_NAMES,
    MEMORY_SECONDS,
    TARGET_ANSWER_P95,
    TARGET_ANSWER_RATE,
    TARGET_LAUNCH_P95,
    TARGET_LAUNCH_RATE,
    TARGET_WORKER_RSS,
    THREADS,
    WORKER_CLASS,
    Platform,
    Server,
    Sizes,
)
from bench.web_users import (
    LaunchLoad,
    Step,
    answer_step,
    answer_users,
)
from storage import Database
from tests.support.servers import JsonServer

# --- one database ------------------------------------------------------------------------


def measure(
    kind: str,
    options: BenchOptions,
    *,
    worker_class: str = WORKER_CLASS,
    threads: int = THREADS,
    parts: frozenset[str] = frozenset({"launch", "answer", "memory"}),
    profile_to: Path | None = None,
    sizes: Sizes | None = None,
) -> list[Figure]:
    sizes = sizes or Sizes.of(options.quick)
    label = DATABASE_NAMES[kind]
    figures: list[Figure] = []
    server_about = {
        "server": f"gunicorn {worker_class}, {options.workers} workers"
        + (f" x {threads} threads" if worker_class == "gthread" else ""),
        "database": label,
    }
    jwks = JsonServer()
    try:
        with (
            fresh_database(kind, options.postgres_admin_url) as url,
            tempfile.TemporaryDirectory(prefix="bench-web-") as folder,
        ):
            database = Database(url)
            platform = Platform(jwks)
            platform.register(database)
            database.dispose()
            server = Server(
                url,
                Path(folder),
                workers=options.workers,
                worker_class=worker_class,
                threads=threads,
                profile_to=profile_to,
            )
            try:
                figures = asyncio.run(_measure(server, platform, sizes, label, parts, server_about))
            finally:
                server.stop()
    finally:
        jwks.stop()
    return figures


async def _measure(
    server: Server,
    platform: Platform,
    sizes: Sizes,
    label: str,
    parts: frozenset[str],
    about: dict,
) -> list[Figure]:
    figures: list[Figure] = []
    launches = LaunchLoad(platform, server)
    # Warm-up: every worker has fetched the platform's keys, compiled its templates and
    # stored the shipped instrument before anything is timed.
    warmup = await launches.step(8, sizes.warmup, 60)
    _report(f"{label} warm-up", warmup, "launches")
    rss_warm = server.rss_mb()
    completed_after_warmup = launches.completed

    if "launch" in parts:
        for concurrency in sizes.launch_concurrency:
            step = await launches.step(concurrency, sizes.launches, sizes.step_seconds)
            _report(f"{label} launch x{concurrency}", step, "launches")
            targeted = label == "PostgreSQL" and concurrency == 32
            figures.append(
                Figure(
                    "web",
                    f"launches/s at {concurrency} concurrent ({label})",
                    round(step.rate, 1),
                    "launches/s",
                    target=TARGET_LAUNCH_RATE if targeted else None,
                    detail={**about, **step.detail("launches")},
                )
            )
            figures.append(
                Figure(
                    "web",
                    f"launch p95 at {concurrency} concurrent ({label})",
                    round(step.percentile(95), 1),
                    "ms",
                    target=TARGET_LAUNCH_P95 if targeted else None,
                    better="lower",
                    detail={**about, **step.detail("launches")},
                )
            )

    if "answer" in parts:
        browsers = await answer_users(launches, max(sizes.answer_users, *sizes.answer_concurrency))
        await answer_step(browsers, len(browsers), sizes.warmup, 60, server)  # warm-up
        for concurrency in sizes.answer_concurrency:
            step = await answer_step(
                browsers, concurrency, sizes.answers, sizes.step_seconds, server
            )
            _report(f"{label} answer saves x{concurrency}", step, "saves")
            targeted = label == "PostgreSQL"
            figures.append(
                Figure(
                    "web",
                    f"answer saves/s at {concurrency} concurrent ({label})",
                    round(step.rate, 1),
                    "saves/s",
                    target=TARGET_ANSWER_RATE if targeted else None,
                    detail={**about, **step.detail("saves")},
                )
            )
            figures.append(
                Figure(
                    "web",
                    f"answer save p95 at {concurrency} concurrent ({label})",
                    round(step.percentile(95), 1),
                    "ms",
                    target=TARGET_ANSWER_P95 if targeted else None,
                    better="lower",
                    detail={**about, **step.detail("saves")},
                )
            )
        for browser in browsers:
            browser.connection.close()

    if "memory" in parts:
        missing = sizes.memory_launches - (launches.completed - completed_after_warmup)
        if missing > 0:
            step = await launches.step(32, missing, MEMORY_SECONDS)
            _report(f"{label} launches for memory", step, "launches")
        rss_after = server.rss_mb()
        since = launches.completed - completed_after_warmup
        growth = {pid: rss_after.get(pid, 0) - before for pid, before in rss_warm.items()}
        detail = {
            **about,
            "after_warmup_mb": {str(p): round(v, 1) for p, v in rss_warm.items()},
            "after_launches_mb": {str(p): round(v, 1) for p, v in rss_after.items()},
            "launches_since_warmup": since,
            "growth_mb": {str(p): round(v, 1) for p, v in growth.items()},
            "same_workers": sorted(rss_warm) == sorted(rss_after),
        }
        figures.append(
            Figure(
                "web",
                f"worker RSS after warm-up, largest worker ({label})",
                round(max(rss_warm.values()), 1),
                "MB",
                target=TARGET_WORKER_RSS,
                better="lower",
                detail=detail,
            )
        )
        figures.append(
            Figure(
                "web",
                f"worker RSS after {sizes.memory_launches:,} launches, largest worker ({label})",
                round(max(rss_after.values()), 1),
                "MB",
                target=TARGET_WORKER_RSS,
                better="lower",
                detail=detail,
            )
        )
        figures.append(
            Figure(
                "web",
                f"worker RSS growth over {sizes.memory_launches:,} launches, largest ({label})",
                round(max(growth.values()), 1),
                "MB",
                better="lower",
                detail=detail,
            )
        )
    return figures


def _report(what: str, step: Step, unit: str) -> None:
    print(
        f"   {what}: {step.done} {unit} in {step.elapsed:.1f} s = {step.rate:.0f}/s, "
        f"p50 {step.percentile(50):.1f} p95 {step.percentile(95):.1f} "
        f"p99 {step.percentile(99):.1f} ms, errors {step.errors}, client CPU "
        f"{step.client_cpu:.1f} s, workers CPU {step.server_cpu / max(1, step.done) * 1000:.2f}"
        f" ms/op, load {os.getloadavg()[0]:.1f}",
        file=sys.stderr,
        flush=True,
    )
    for example in step.error_examples:
        print(f"     error: {example}", file=sys.stderr, flush=True)


def run(options: BenchOptions) -> list[Figure]:
    figures = []
    for kind in ("postgresql", "sqlite"):
        parts = {"launch", "answer", "memory"} if kind == "postgresql" else {"launch", "answer"}
        figures += measure(kind, options, parts=frozenset(parts))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--parts", default="launch,answer,memory")
    parser.add_argument("--worker-class", default=WORKER_CLASS, choices=("gthread", "sync"))
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--seconds", type=float, help="length of each step (default 20)")
    parser.add_argument("--launch-concurrency", help="e.g. 8,32 (default 1,8,32,64)")
    parser.add_argument("--answer-concurrency", help="e.g. 32 (default 8,32)")
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile each worker with pyinstrument; writes <path>-<pid>.txt/.html at exit",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "KOMPETENSLYFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    options = BenchOptions(postgres_admin_url=args.postgres, quick=args.quick, workers=args.workers)
    sizes = Sizes.of(args.quick)
    if args.seconds:
        sizes = replace(sizes, step_seconds=args.seconds)
    if args.launch_concurrency:
        sizes = replace(sizes, launch_concurrency=_numbers(args.launch_concurrency))
    if args.answer_concurrency:
        sizes = replace(sizes, answer_concurrency=_numbers(args.answer_concurrency))
    figures: list[Figure] = []
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        figures += measure(
            kind,
            options,
            sizes=sizes,
            worker_class=args.worker_class,
            threads=args.threads,
            parts=frozenset(p.strip() for p in args.parts.split(",")),
            profile_to=args.profile,
        )
    for figure in figures:
        print(f"{figure.name}: {figure.value} {figure.unit}")
    return 0


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


if __name__ == "__main__":
    sys.exit(main())
