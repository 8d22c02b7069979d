"""What one launch and one answer save cost inside one process, without HTTP or gunicorn:
CPU milliseconds and SQL statements per request, by endpoint. Steadier than the load
figures of bench/web.py on a shared machine, so it is the one to compare a change with.

    .venv/bin/python -m bench.web_costs [--database postgresql|sqlite] [--launches 300]
        [--saves 1000] [--profile cprofile|pyinstrument]

The app is made as gunicorn makes it (`create_app()` in production mode); requests go
through Flask's test client with the headers the TLS proxy adds.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import os
import pstats
import re
import secrets
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import event

from bench.databases import fresh_database
from bench.results import BenchOptions
from bench.web_server import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    INSTRUMENT,
    ISSUER,
    PUBLIC_HOST,
    Platform,
)
from competence.instruments import shipped_instruments
from storage import Database
from tests.support.servers import JsonServer

_AUTH_URL = re.compile(r'data-auth-url="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": PUBLIC_HOST}


class Costs:
    """CPU seconds and statements per endpoint."""

    def __init__(self, engine) -> None:
        self.reset()
        event.listen(engine, "before_cursor_execute", self._count)

    def reset(self) -> None:
        self.statements: Counter[str] = Counter()
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.current = ""
        self.kinds: Counter[tuple[str, str]] = Counter()

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        self.statements[self.current] += 1
        self.kinds[(self.current, statement.split(None, 1)[0].upper())] += 1

    def timed(self, name: str, call):
        self.current = name
        started = time.process_time()
        try:
            return call()
        finally:
            self.cpu[name] += time.process_time() - started
            self.calls[name] += 1
            self.current = ""

    def report(self) -> None:
        for name in self.calls:
            calls = self.calls[name]
            kinds = ", ".join(
                f"{kind} {count / calls:.1f}"
                for (endpoint, kind), count in sorted(self.kinds.items())
                if endpoint == name
            )
            print(
                f"{name:>14}: {self.cpu[name] / calls * 1000:6.2f} ms CPU, "
                f"{self.statements[name] / calls:5.1f} statements ({kinds})"
            )


def launch(client, platform: Platform, number: int, costs: Costs) -> str:
    form = {
        "iss": ISSUER,
        "login_hint": "3",
        "target_link_uri": f"https://{PUBLIC_HOST}/lti/launch",
        "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID,
    }
    login = costs.timed("login", lambda: client.post("/lti/login", data=form, headers=HEADERS))
    assert login.status_code == 200, login.status_code
    query = parse_qs(urlsplit(html.unescape(_AUTH_URL.search(login.text).group(1))).query)
    token = platform.sign(platform.claims_prefix(number), query["nonce"][0])
    launched = costs.timed(
        "launch",
        lambda: client.post(
            "/lti/launch", data={"id_token": token, "state": query["state"][0]}, headers=HEADERS
        ),
    )
    assert launched.status_code == 303, launched.status_code
    page = costs.timed("start page", lambda: client.get("/", headers=HEADERS))
    assert page.status_code == 200, page.status_code
    return page.text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--profile-part", default="launch", choices=("launch", "answer"))
    args = parser.parse_args(argv)
    options = BenchOptions(
        postgres_admin_url=os.environ.get(
            "KOMPETENSLYFT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
    )
    jwks = JsonServer()
    with (
        fresh_database(args.database, options.postgres_admin_url) as url,
        tempfile.TemporaryDirectory() as folder,
    ):
        platform = Platform(jwks)
        database = Database(url)
        platform.register(database)
        database.dispose()
        os.environ.update(
            KOMPETENSLYFT_MODE="production",
            KOMPETENSLYFT_DATABASE_URL=url,
            KOMPETENSLYFT_SECRET_KEY=secrets.token_urlsafe(48),
            KOMPETENSLYFT_PUBLIC_URL=f"https://{PUBLIC_HOST}",
            KOMPETENSLYFT_PROXY_COUNT="1",
            KOMPETENSLYFT_INSTANCE_PATH=str(Path(folder) / "instance"),
            KOMPETENSLYFT_DEV_PLATFORM="false",
        )
        from lti_tool import create_app

        app = create_app()
        costs = Costs(app.extensions["database"].engine)
        client = app.test_client()
        for number in range(20):  # warm-up: keys fetched, templates compiled
            launch(client, platform, 1_000_000 + number, costs)
        costs.reset()
        profiler = _profiler(args.profile) if args.profile_part == "launch" else None
        for number in range(args.launches):
            page = launch(client, platform, number, costs)
        _stop(profiler, "launch")

        csrf = html.unescape(_CSRF.search(page).group(1))
        started = client.post("/assessment/start", data={"csrf_token": csrf}, headers=HEADERS)
        attempt = urlsplit(started.headers["Location"]).path.rsplit("/items/", 1)[0]
        items = shipped_instruments()[INSTRUMENT].items
        for number in range(50):  # warm-up
            _save(client, costs, attempt, items, number, csrf, "warm-up")
        profiler = _profiler(args.profile) if args.profile_part == "answer" else None
        for number in range(args.saves):
            _save(client, costs, attempt, items, number, csrf, "answer save")
        _stop(profiler, "answer")
        costs.calls.pop("warm-up")
        costs.report()
        app.extensions["database"].dispose()
    jwks.stop()


def _save(client, costs, attempt, items, number, csrf, name) -> None:
    position = number % len(items)
    option = items[position].options[number % len(items[position].options)].id
    saved = costs.timed(
        name,
        lambda: client.post(
            f"{attempt}/items/{position + 1}",
            data={"csrf_token": csrf, "answer": option, "direction": "next"},
            headers=HEADERS,
        ),
    )
    assert saved.status_code == 303, saved.status_code


def _profiler(kind: str | None):
    if kind == "cprofile":
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        return profiler
    if kind == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        return profiler
    return None


def _stop(profiler, part: str) -> None:
    if profiler is None:
        return
    if isinstance(profiler, cProfile.Profile):
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(60)
    else:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
