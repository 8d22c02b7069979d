"""One shape for every benchmark's figures, so `make bench` prints one table and writes one
JSON file that can be compared run with run.

A bench module exposes `run(options: BenchOptions) -> list[Figure]`; bench/__main__.py
runs them in turn and hands the figures to `write`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg


@dataclass(frozen=True)
class BenchOptions:
    """What every bench gets: where PostgreSQL is, how big to go, and where to write."""

    postgres_admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    quick: bool = False  # small sizes, for checking the harness itself (and CI)
    workers: int = 2  # gunicorn workers of the server under test
    work_dir: Path = Path("bench/out")


@dataclass(frozen=True)
class Figure:
    """One measured figure: `value` in `unit`, against a target where the issue sets one.

    `better` says which way is good ("higher" for throughput, "lower" for latency, memory
    and time), so `met` can be judged; `detail` holds what explains the figure (sizes,
    percentiles, client CPU, the database)."""

    bench: str  # e.g. "launch"
    name: str  # e.g. "launches/s at 32 concurrent (PostgreSQL)"
    value: float
    unit: str
    target: float | None = None
    better: str = "higher"  # or "lower"
    detail: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value <= self.target


def _proc_value(path: str, prefix: str, parse, missing):
    """The first line of a /proc file that starts with `prefix`, parsed; `missing` where
    there is no such file (not Linux) or line."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return missing
    return next((parse(line) for line in lines if line.startswith(prefix)), missing)


def machine(postgres_admin_url: str) -> dict:
    """What the figures were measured on."""
    cpu = _proc_value("/proc/cpuinfo", "model name", lambda rest: rest.split(":", 1)[1].strip(), "")
    memory_kb = _proc_value("/proc/meminfo", "MemTotal", lambda rest: int(rest.split()[1]), 0)
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
        "postgresql": "PostgreSQL " + _postgres_version(postgres_admin_url),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def _postgres_version(admin_url: str) -> str:
    try:
        with psycopg.connect(admin_url, connect_timeout=5) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return ""


def _git(*args: str) -> str:
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments
            ["/usr/bin/git", *args], capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(figures: list[Figure], about: dict) -> str:
    lines = [
        f"Measured {about['measured_at']} on {about['machine']['cores']} cores "
        f"({about['machine']['cpu'] or 'unknown CPU'}), {about['machine']['postgresql']}, "
        f"commit {about['machine']['commit']}.",
        "",
        "| bench | figure | value | target | met |",
        "|---|---|---:|---:|:---:|",
    ]
    for figure in figures:
        target = (
            ""
            if figure.target is None
            else (("≥ " if figure.better == "higher" else "≤ ") + _number(figure.target))
        )
        met = {True: "yes", False: "**no**", None: ""}[figure.met]
        lines.append(
            f"| {figure.bench} | {figure.name} | {_number(figure.value)} {figure.unit} "
            f"| {target} {figure.unit if target else ''} | {met} |"
        )
    return "\n".join(lines) + "\n"


def write(figures: list[Figure], options: BenchOptions) -> tuple[Path, Path]:
    """bench/out/latest.md and latest.json (and a timestamped copy of the JSON)."""
    out = options.work_dir
    out.mkdir(parents=True, exist_ok=True)
    about = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(options.postgres_admin_url),
        "options": {"quick": options.quick, "workers": options.workers},
    }
    document = {
        **about,
        "figures": [{**asdict(figure), "met": figure.met} for figure in figures],
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_text = json.dumps(document, indent=2, ensure_ascii=False)
    (out / f"bench-{stamp}.json").write_text(json_text)
    (out / "latest.json").write_text(json_text)
    (out / "latest.md").write_text(markdown(figures, about))
    return out / "latest.md", out / "latest.json"
