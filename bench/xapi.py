"""xAPI figures: what recording a statement costs on the request path, and how fast the
forwarding job empties the outbox into an LRS on loopback (bench/fast_lrs.py).

    .venv/bin/python -m bench --only xapi [--quick]
    .venv/bin/python -m bench.xapi [--quick]

Each database (PostgreSQL, the target, and SQLite for comparison) is a fresh one
(bench/databases.py) with one organisation whose LRS is enabled.

- Enqueue: `xapi.record.record` of ready-made statements, timed around the call inside
  the request's transaction (the commit is the request's, not counted): one statement
  per transaction, as when a learner answers a question; and the 23 statements of a
  submitted attempt (completed, passed, 21 competence levels) in one transaction,
  as the submit request records them, reported per statement.
- Forwarding: N statements stored and queued in bulk, then `forward_statements` run
  until the outbox is empty, for LRS batch sizes 200, 500 and 1000.  The LRS double
  answers in microseconds, so the figure is the tool's own cost (and the database's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update

from bench.databases import fresh_database
from bench.fast_lrs import PASSWORD, USERNAME, FastLrs
from bench.results import BenchOptions, Figure, machine, markdown
from competence.frameworks import digcomp
from competence.instruments import shipped_instruments
from competence.scoring import score
from outbound.http_client import make_http_session
from storage import Database, Delivery, DeliveryStatus, LrsEndpoint, Organisation
from storage.database import utcnow
from storage.lrs import seal
from storage.statements import XapiStatement, XapiStatementRef, statement_refs
from sync.xapi_forwarding import forward_statements
from tests.support.answered_statements import answered_statements, where_of
from xapi import statements
from xapi.lrs_client import LrsClient
from xapi.model import Statement
from xapi.record import TARGET, record, record_many

BENCH = "xapi"
SECRET_KEY = "bench-secret-key-0123456789abcdef-0123456789"  # noqa: S105 - a bench database
PUBLIC_URL = "https://kompetenslyft.example.se"
FULL = replace(shipped_instruments()["digcomp-2.2-full"], pass_mark=0.5)
STARTED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ENQUEUE_TARGET_MS = 0.2
FORWARD_TARGET = 10_000
BATCH_SIZES = (200, 500, 1000)
KINDS = (("postgresql", "PostgreSQL"), ("sqlite", "SQLite"))


def answered(count: int, learner: str) -> list[Statement]:
    """`count` distinct "answered" statements, as the item page records them."""
    return answered_statements(
        count, learner, per_attempt=len(FULL.items), instrument=FULL, public_url=PUBLIC_URL
    )


def submissions(count: int, learner: str) -> list[list[Statement]]:
    """`count` submitted attempts' statements: completed, passed or failed, 21 levels."""
    where, framework = where_of(learner, PUBLIC_URL), digcomp()
    result = score(FULL, framework, {item.id: "on_my_own" for item in FULL.items})
    made = []
    for number in range(count):
        event = {
            "attempt_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{learner}/submitted/{number}")),
            "submitted_at": STARTED + timedelta(minutes=number),
            "instrument": FULL,
            "framework": framework,
            "result": result,
        }
        made.append(
            [
                statements.attempt_submitted(where, started_at=STARTED, **event),
                statements.attempt_judged(where, **event),
                *statements.competence_levels_reached(where, **event),
            ]
        )
    return made


def organisation_with_lrs(database: Database, lrs: FastLrs, batch_size: int = 200) -> int:
    with database.transaction() as session:
        organisation = Organisation(slug=f"bench-{uuid.uuid4().hex[:8]}", name="Bench kommun")
        session.add(organisation)
        session.flush()
        session.add(
            LrsEndpoint(
                organisation_id=organisation.id,
                endpoint=lrs.endpoint,
                username=USERNAME,
                sealed_password=seal(SECRET_KEY, PASSWORD),
                batch_size=batch_size,
            )
        )
        return organisation.id


def _percentiles(costs: list[float]) -> tuple[float, float]:
    costs = sorted(costs)
    return statistics.median(costs), costs[min(len(costs) - 1, int(len(costs) * 0.95))]


def _request_so_far(session, organisation: int) -> None:
    """What a request has done before it records: read something (the launch, the
    attempt), so its transaction has begun on a connection from the pool."""
    session.scalar(select(Organisation.slug).where(Organisation.id == organisation))


def enqueue_single(database: Database, organisation: int, made: list[Statement]) -> list[float]:
    """Milliseconds per statement, one statement per transaction."""
    costs = []
    for statement in made:
        with database.transaction() as session:
            _request_so_far(session, organisation)
            started = time.perf_counter()
            record(session, statement, organisation)
            costs.append((time.perf_counter() - started) * 1e3)
    return costs


def enqueue_several(
    database: Database, organisation: int, requests: list[list[Statement]], together: bool
) -> list[float]:
    """Milliseconds per statement when one transaction records a submission's statements:
    together (`record_many`, as the submit request does) or one `record` each."""
    costs = []
    for made in requests:
        with database.transaction() as session:
            _request_so_far(session, organisation)
            started = time.perf_counter()
            if together:
                record_many(session, made, organisation)
            else:
                for statement in made:
                    record(session, statement, organisation)
            costs.append((time.perf_counter() - started) * 1e3 / len(made))
    return costs


def _round_trip_ms(database: Database, times: int = 1000) -> float:
    """The median of `SELECT 1` on the driver's connection: what one round trip to the
    database costs at the time, the floor under a statement recorded in one."""
    costs = []
    with database.sessions() as session:
        driver = session.connection().connection.driver_connection
        for _ in range(times):
            started = time.perf_counter()
            driver.execute("SELECT 1").fetchall()
            costs.append((time.perf_counter() - started) * 1e3)
    return statistics.median(costs)


def enqueue_figures(database: Database, lrs: FastLrs, label: str, quick: bool) -> list[Figure]:
    organisation = organisation_with_lrs(database, lrs)
    count, groups = (300, 15) if quick else (3000, 150)
    # Warm up: connections in the pool, compiled and prepared statements.
    enqueue_single(database, organisation, answered(100, "warm-up"))
    enqueue_several(database, organisation, submissions(3, "warm-up-1"), together=False)
    enqueue_several(database, organisation, submissions(3, "warm-up-2"), together=True)
    runs = [
        (
            "one statement per request",
            enqueue_single(database, organisation, answered(count, f"single-{uuid.uuid4()}")),
            {"statements": count, "path": "record: an answer saved"},
        )
    ]
    for together, how in ((True, "record_many (the submit request)"), (False, "record each")):
        made = submissions(groups, f"several-{together}-{uuid.uuid4()}")
        runs.append(
            (
                f"a submission's 23 statements, {how}, per statement",
                enqueue_several(database, organisation, made, together),
                {"requests": groups, "statements_per_request": len(made[0])},
            )
        )
    with database.sessions() as session:
        queued = session.scalar(
            select(func.count(Delivery.id)).where(Delivery.organisation_id == organisation)
        )
    expected = 100 + 6 * 23 + count + 2 * groups * 23
    assert queued == expected, f"{queued} queued, expected {expected}"
    round_trip = _round_trip_ms(database)
    figures = []
    for name, costs, detail in runs:
        median, p95 = _percentiles(costs)
        detail = {
            "median_ms": round(median, 4),
            "p95_ms": round(p95, 4),
            "select_1_round_trip_median_ms": round(round_trip, 4),
            **detail,
        }
        figures.append(
            Figure(
                bench=BENCH,
                name=f"enqueue cost, {name}, median ({label})",
                value=median,
                unit="ms",
                target=ENQUEUE_TARGET_MS,
                better="lower",
                detail=detail,
            )
        )
        figures.append(
            Figure(
                bench=BENCH,
                name=f"enqueue cost, {name}, p95 ({label})",
                value=p95,
                unit="ms",
                better="lower",
                detail=detail,
            )
        )
    return figures


def seed_queued(database: Database, organisation: int, count: int, learner: str) -> None:
    """`count` statements stored, indexed and queued for the organisation's LRS, in bulk:
    a backlog recorded over the last `count` seconds (an LRS down for a while)."""
    made = [statement.to_json() for statement in answered(count, learner)]
    first = utcnow() - timedelta(seconds=count)
    when = {s["id"]: first + timedelta(seconds=number) for number, s in enumerate(made)}
    with database.transaction() as session:
        lrs_id = session.scalar(
            select(LrsEndpoint.id).where(LrsEndpoint.organisation_id == organisation)
        )
        for start in range(0, count, 2000):
            chunk = made[start : start + 2000]
            session.execute(
                insert(XapiStatement.__table__),
                [
                    {
                        "id": s["id"],
                        "organisation_id": organisation,
                        "verb": s["verb"]["id"],
                        "registration": s["context"]["registration"],
                        "actor_home_page": s["actor"]["account"]["homePage"],
                        "actor_name": s["actor"]["account"]["name"],
                        "statement": s,
                        "stored": when[s["id"]],
                        "voided": False,
                    }
                    for s in chunk
                ],
            )
            session.execute(
                insert(XapiStatementRef.__table__),
                [
                    {"statement_id": s["id"], "kind": kind, "ref": ref, "direct": direct}
                    for s in chunk
                    for (kind, ref), direct in statement_refs(s).items()
                ],
            )
            session.execute(
                insert(Delivery.__table__),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "target": TARGET,
                        "key": f"{lrs_id}:{s['id']}",
                        "payload": {"statement_id": s["id"]},
                        "organisation_id": organisation,
                        "status": DeliveryStatus.PENDING,
                        "attempts": 0,
                        "next_attempt_at": when[s["id"]],
                        "created_at": when[s["id"]],
                    }
                    for s in chunk
                ],
            )


def forwarding_figures(database: Database, lrs: FastLrs, label: str, quick: bool) -> list[Figure]:
    count = 300 if quick else 20_000
    client = LrsClient(make_http_session(timeout=30, retries=0))
    figures = []
    for batch_size in BATCH_SIZES:
        organisation = organisation_with_lrs(database, lrs, batch_size=batch_size)
        seed_queued(database, organisation, count, f"forward-{batch_size}-{uuid.uuid4()}")
        # Only this organisation's LRS is enabled: a run sends its statements only.
        with database.transaction() as session:
            session.execute(
                update(LrsEndpoint)
                .where(LrsEndpoint.organisation_id != organisation)
                .values(enabled=False)
            )
        if database.engine.dialect.name == "postgresql":
            with database.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE deliveries")
                connection.commit()
        lrs.reset()
        delivered, runs = 0, 0
        # CPU seconds of each process involved: where the time goes on a busy machine.
        database_cpu = _backends_cpu(database)
        lrs_cpu = _cpu_seconds(lrs.process.pid)
        started, cpu = time.perf_counter(), time.process_time()
        while delivered < count:
            counts = forward_statements(database, client, SECRET_KEY, max_batches=10_000)
            runs += 1
            if counts.delivered == 0:
                raise RuntimeError(f"forwarding stalled at {delivered}: {counts}")
            delivered += counts.delivered
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        database_cpu = _backends_cpu(database, database_cpu)
        lrs_cpu = _cpu_seconds(lrs.process.pid) - lrs_cpu
        state = lrs.state()
        assert state["ids"] == state["distinct"] == count, state
        figures.append(
            Figure(
                bench=BENCH,
                name=f"forwarding to a fast LRS double, batches of {batch_size} ({label})",
                value=count / elapsed,
                unit="statements/s",
                target=FORWARD_TARGET,
                better="higher",
                detail={
                    "statements": count,
                    "batch_size": batch_size,
                    "seconds": round(elapsed, 3),
                    "posts": state["posts"],
                    "runs": runs,
                    "forwarder_cpu_seconds": round(cpu, 2),
                    "lrs_double_cpu_seconds": round(lrs_cpu, 2),
                    **(
                        {"postgresql_backends_cpu_seconds": round(database_cpu[None], 2)}
                        if database_cpu
                        else {}
                    ),
                },
            )
        )
    return figures


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process on this machine (Linux /proc), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _backends_cpu(database: Database, before: dict | None = None) -> dict:
    """CPU seconds of the PostgreSQL backends serving this database (a local server),
    by pid; with `before`, the total since then under the key None.  {} on SQLite."""
    if database.engine.dialect.name != "postgresql":
        return {}
    with database.engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        ).scalars()
        now = {pid: _cpu_seconds(pid) for pid in pids}
    if before is None:
        return now
    return {None: sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())}


def run(
    options: BenchOptions,
    kinds: tuple[str, ...] = ("postgresql", "sqlite"),
    parts: tuple[str, ...] = ("enqueue", "forwarding"),
) -> list[Figure]:
    figures: list[Figure] = []
    lrs = FastLrs().start()
    try:
        for kind, label in KINDS:
            if kind not in kinds:
                continue
            with fresh_database(kind, options.postgres_admin_url) as url:
                database = Database(url)
                try:
                    if "enqueue" in parts:
                        figures += enqueue_figures(database, lrs, label, options.quick)
                    if "forwarding" in parts:
                        figures += forwarding_figures(database, lrs, label, options.quick)
                finally:
                    database.dispose()
    finally:
        lrs.stop()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the harness)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "KOMPETENSLYFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--kinds", default="postgresql,sqlite", help="databases to measure")
    parser.add_argument("--parts", default="enqueue,forwarding", help="figures to measure")
    args = parser.parse_args(argv)
    options = BenchOptions(postgres_admin_url=args.postgres, quick=args.quick)
    started = time.perf_counter()
    figures = run(options, kinds=tuple(args.kinds.split(",")), parts=tuple(args.parts.split(",")))
    about = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(options.postgres_admin_url),
    }
    print(markdown(figures, about))
    for figure in figures:
        print(figure.name, figure.detail, file=sys.stderr)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
