"""Programme follow-up for a large municipality: the organisation radar, the indicators
and the whole /programme page for 50,000 people, on PostgreSQL and on SQLite.

    .venv/bin/python -m bench --only reports [--quick]
    .venv/bin/python -m bench.reports [--people 50000] [--sqlite-people N] [--runs 7]
                                      [--profile radar|indicators|page]

Each backend gets a fresh database, seeded in bulk by
lti_tool/dev_platform/programme_seed_bulk.py (`seed_programme_bulk`: the rules of the
200-person test organisation, with more units and team leaders; every submitted
attempt's 21 answers stored too).  PostgreSQL is
then VACUUM ANALYZEd, as autovacuum would have done.  Measured warm (one run first
that is not counted), each run with a new database session, in Swedish:

- organisation radar: from the database to the whole organisation's spider-web chart
  (SVG) of the mean DigComp level per area, as /programme computes it (which also
  gives every unit's mean, needed to hide small units);
- indicators: the indicator table of 2026 split by unit and the development over
  time (2024-2026), as /programme computes them; the other splits in `detail`;
- page: GET /programme?period=2026&split=gender through Flask's test client, signed
  in as a programme lead who manages nobody (so the cost is the report's, not a
  large team's), with every table and the 1 + units radars;
- the organisation radar first without the migrations' index of submitted attempts
  (0010, ix_attempts_submitted: dropped before the run), then with it, so both figures
  come from one run.

Besides the wall clock's median, p95 and minimum, `detail` has the median CPU time
(this process's and the PostgreSQL backends'), which other load on a shared machine
inflates much less.

`--profile` runs one of them under pyinstrument and writes
bench/out/reports-<name>-<backend>.html (and prints the text view).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from flask_babel import force_locale, gettext
from sqlalchemy import func, select, text

from bench.databases import fresh_database
from bench.results import BenchOptions, Figure, machine, markdown
from competence import programme as p
from competence.frameworks import digcomp
from config import load_settings
from lti_tool import create_app
from lti_tool import programme as page
from lti_tool.dev_platform.programme_seed import Shape, person_of
from lti_tool.dev_platform.programme_seed_bulk import seed_programme_bulk
from storage import (
    Answer,
    Attempt,
    Database,
    Deployment,
    Grant,
    Launch,
    Organisation,
    Person,
    PlatformRegistration,
)
from storage.programme_data import organisation_facts

PEOPLE = 50_000
QUICK_PEOPLE = 2_000
RADAR_TARGET_MS = 200
PERIOD = p.Period(2026)
ISSUER = "https://moodle.bench.invalid"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
KIND_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# Migration 0010: each person's submitted attempts, newest first, with what the radar's
# "latest result per person" reads, so it is an index-only scan (both databases).
PROPOSED_INDEX = (
    "CREATE INDEX {if_not_exists}ix_attempts_submitted ON attempts "
    "(person_id, submitted_at DESC, id, instrument_id) WHERE status = 'submitted'"
)


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    launch_id: str
    people: int
    units: int
    seconds: float
    rows: dict


@dataclass(frozen=True)
class Timing:
    runs: list[float]  # milliseconds, wall clock
    cpu: list[float]  # milliseconds of CPU: this process's and the database server's

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p95(self) -> float:
        if len(self.runs) < 2:
            return self.runs[0]
        return statistics.quantiles(self.runs, n=20, method="inclusive")[18]

    def detail(self) -> dict:
        return {
            "median_ms": round(self.median, 1),
            "p95_ms": round(self.p95, 1),
            "min_ms": round(min(self.runs), 1),
            "cpu_median_ms": round(statistics.median(self.cpu), 1),
            "runs": len(self.runs),
        }


class ServerCpu:
    """CPU time of the PostgreSQL backends serving one database, from /proc (the server
    is local): with the client's, a figure that other load on a shared machine inflates
    much less than the wall clock.  Parallel workers come and go and are not counted."""

    def __init__(self, database: Database) -> None:
        self.url = None
        if database.engine.dialect.name == "postgresql" and Path("/proc/self/stat").exists():
            self.url = database.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
            self.name = database.engine.url.database
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def total_ms(self) -> float:
        if self.url is None:
            return 0.0
        with psycopg.connect(self.url, autocommit=True) as connection:
            pids = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            ).fetchall()
        total = 0.0
        for (pid,) in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the backend has just gone
            total += (int(fields[11]) + int(fields[12])) * 1000 / self.tick
        return total


def timed(work: Callable[[], object], runs: int, server: ServerCpu, warmup: int = 1) -> Timing:
    for _ in range(warmup):
        work()
    samples, cpu = [], []
    for _ in range(runs):
        server_before, client_before = server.total_ms(), time.process_time()
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
        client = (time.process_time() - client_before) * 1000
        cpu.append(client + server.total_ms() - server_before)
    return Timing(samples, cpu)


def seed(database: Database, people: int) -> Seeded:
    """The organisation, its platform, and a signed-in programme lead's launch."""
    started = time.perf_counter()
    with database.transaction() as session:
        organisation = Organisation(slug="bench", name="Benchkommun")
        registration = PlatformRegistration(
            organisation=organisation,
            name="Moodle",
            issuer=ISSUER,
            client_id="kompetenslyft",
            auth_login_url=f"{ISSUER}/auth",
            auth_token_url=f"{ISSUER}/token",
            key_set_url=f"{ISSUER}/certs",
        )
        deployment = Deployment(registration=registration, deployment_id="1")
        session.add_all([organisation, registration, deployment])
        session.flush()
        counts = seed_programme_bulk(session, organisation.id, ISSUER, people)
        # HR's programme lead: the first employee who manages nobody.
        subject = person_of(Shape(people).managers)[1]
        lead = session.scalar(
            select(Person).where(Person.issuer == ISSUER, Person.subject == subject)
        )
        session.add(
            Grant(organisation_id=organisation.id, person_id=lead.id, role="programme_lead")
        )
        launch = Launch(
            person_id=lead.id,
            registration_id=registration.id,
            deployment_id=deployment.id,
            message_type="LtiResourceLinkRequest",
            roles=[LEARNER],
            claims={},
            locale="sv",
        )
        session.add(launch)
        session.flush()
        seeded = Seeded(
            organisation.id,
            launch.id,
            people,
            counts.units,
            0.0,
            {
                "attempts": counts.attempts,
                "submitted": counts.submitted,
                "answers": counts.answers,
                "plans": counts.plans,
            },
        )
    seconds = time.perf_counter() - started
    if database.engine.dialect.name == "postgresql":
        _vacuum(database)
    with database.sessions() as session:  # what is stored, not what was meant to be
        stored = {
            "attempts": session.scalar(select(func.count()).select_from(Attempt)),
            "answers": session.scalar(select(func.count()).select_from(Answer)),
        }
    assert stored["attempts"] == seeded.rows["attempts"], stored
    return replace(seeded, seconds=seconds)


def _vacuum(database: Database) -> None:
    url = database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def settings_for(url: str, folder: str):
    return load_settings(
        environ={},
        overrides={
            "mode": "development",
            "database_url": url,
            "instance_path": folder,
            "secret_key": "bench-secret-key-that-is-long-enough-0123456789",
            "log_level": "WARNING",  # no access line per measured request in the bench's output
        },
    )


class Report:
    """The three measured pieces, over one seeded database."""

    def __init__(self, app, database: Database, seeded: Seeded) -> None:
        self.app, self.database, self.seeded = app, database, seeded
        self.client = app.test_client()
        with self.client.session_transaction() as session:
            session["launch_id"] = seeded.launch_id
            session["launch_locale"] = "sv"

    def radar(self) -> str:
        with self.app.test_request_context("/programme"), force_locale("sv"):
            with self.database.sessions() as session:
                labels, profiles = page.competence_profiles(
                    session, self.seeded.organisation_id, PERIOD
                )
            chart = page.radar_chart(
                "programme-radar-0",
                gettext("Whole organisation"),
                labels,
                profiles.total,
                digcomp().scale.max_level,
            )
        assert chart["svg"], "the organisation's radar is hidden"
        return str(chart["svg"])

    def indicators(self, split: str | None = "unit"):
        with (
            self.app.test_request_context("/programme"),
            force_locale("sv"),
            self.database.sessions() as session,
            page.collector_paused(),
        ):
            facts = organisation_facts(session, self.seeded.organisation_id, documents=False)
            return page.indicator_tables(facts, PERIOD, split)

    def page(self, split: str = "gender") -> str:
        response = self.client.get(
            "/programme", query_string={"period": PERIOD.key, "split": split}
        )
        assert response.status_code == 200, response.status_code
        text = response.get_data(as_text=True)
        assert text.count('role="img"') == 1 + self.seeded.units, "a radar is missing"
        return text


def measure(kind: str, url: str, people: int, runs: int, work_dir: Path, profile: str | None):
    name = KIND_NAMES[kind]
    size = f"{people:,} people ({name})"
    database = Database(url)
    print(f"   seeding {size} ...", file=sys.stderr, flush=True)
    seeded = seed(database, people)
    print(f"   seeded in {seeded.seconds:.0f} s: {seeded.rows}", file=sys.stderr, flush=True)
    figures = [
        Figure(
            "reports",
            f"seeding, {size}",
            round(seeded.seconds, 1),
            "s",
            better="lower",
            detail={"people": people, "units": seeded.units, **seeded.rows},
        )
    ]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        app = create_app(settings_for(url, folder), database)
        report = Report(app, database, seeded)
        server = ServerCpu(database)
        if profile:
            _profile(report, profile, work_dir / f"reports-{profile}-{kind}.html")
        common = {"people": people, "units": seeded.units, "period": PERIOD.key, **seeded.rows}

        with database.transaction() as session:  # timed without 0010's index first
            session.execute(text("DROP INDEX IF EXISTS ix_attempts_submitted"))
        radar = timed(report.radar, runs, server)
        svg = report.radar()
        figures.append(
            Figure(
                "reports",
                f"organisation radar, {size}, without the index of submitted attempts",
                round(radar.median, 1),
                "ms",
                target=RADAR_TARGET_MS,
                better="lower",
                detail={**radar.detail(), "svg_bytes": len(svg), **common},
            )
        )
        print(f"   radar: {radar.detail()}", file=sys.stderr, flush=True)

        splits = {}
        for split in ("unit", None, "gender", "role"):
            splits[split or "none"] = timed(
                lambda split=split: report.indicators(split), runs, server
            )
        indicators = splits["unit"]
        figures.append(
            Figure(
                "reports",
                f"indicators by unit and over time, {size}",
                round(indicators.median, 1),
                "ms",
                better="lower",
                detail={
                    **indicators.detail(),
                    "by_split_median_ms": {k: round(t.median, 1) for k, t in splits.items()},
                    **common,
                },
            )
        )
        print(f"   indicators: {indicators.detail()}", file=sys.stderr, flush=True)

        whole = timed(report.page, runs, server)
        html = report.page()
        figures.append(
            Figure(
                "reports",
                f"/programme page by gender, {size}",
                round(whole.median, 1),
                "ms",
                better="lower",
                detail={**whole.detail(), "html_bytes": len(html), **common},
            )
        )
        print(f"   page: {whole.detail()}", file=sys.stderr, flush=True)

        # The index back, as migration 0010 makes it: the radar again with it.
        ddl = PROPOSED_INDEX.format(if_not_exists="IF NOT EXISTS ")
        with database.transaction() as session:
            session.execute(text(ddl))
        if kind == "postgresql":
            _vacuum(database)  # as autovacuum would: the visibility map for index-only scans
        indexed = timed(report.radar, runs, server)
        figures.append(
            Figure(
                "reports",
                f"organisation radar, {size}",
                round(indexed.median, 1),
                "ms",
                target=RADAR_TARGET_MS,
                better="lower",
                detail={
                    **indexed.detail(),
                    "index": PROPOSED_INDEX.format(if_not_exists=""),
                    **common,
                },
            )
        )
        print(f"   radar with the index: {indexed.detail()}", file=sys.stderr, flush=True)
    database.dispose()
    return figures


def _profile(report: Report, what: str, out: Path) -> None:
    from pyinstrument import Profiler

    work = {"radar": report.radar, "indicators": report.indicators, "page": report.page}[what]
    work()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    work()
    profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    print(f"   profile: {out}", file=sys.stderr, flush=True)


def run(
    options: BenchOptions,
    people: int | None = None,
    sqlite_people: int | None = None,
    runs: int | None = None,
    profile: str | None = None,
    kinds: tuple[str, ...] = ("postgresql", "sqlite"),
) -> list[Figure]:
    people = people or (QUICK_PEOPLE if options.quick else PEOPLE)
    sizes = {"postgresql": people, "sqlite": sqlite_people or people}
    runs = runs or (3 if options.quick else 7)
    figures: list[Figure] = []
    for kind in kinds:
        with fresh_database(kind, options.postgres_admin_url) as url:
            figures += measure(kind, url, sizes[kind], runs, options.work_dir, profile)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Stand-alone: prints the table (bench/out/latest.* are `make bench`'s)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--sqlite-people", type=int)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--profile", choices=("radar", "indicators", "page"))
    parser.add_argument("--postgres", default=BenchOptions.postgres_admin_url)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args(argv)
    options = BenchOptions(postgres_admin_url=args.postgres, work_dir=args.out)
    figures = run(
        options,
        people=args.people,
        sqlite_people=args.sqlite_people,
        runs=args.runs,
        profile=args.profile,
        kinds=(args.only,) if args.only else ("postgresql", "sqlite"),
    )
    about = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(options.postgres_admin_url),
    }
    print(markdown(figures, about))
    return 0


if __name__ == "__main__":
    sys.exit(main())
