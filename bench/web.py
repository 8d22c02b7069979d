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
import base64
import contextlib
import html
import itertools
import json
import os
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.databases import fresh_database
from bench.http_load import Connection, LoadError, Response
from bench.results import BenchOptions, Figure
from competence.instruments import shipped_instruments
from lti import claims as c
from lti.tool_keys import ensure_keys
from storage import Database, Deployment, Organisation, PlatformRegistration
from tests.support.servers import JsonServer

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_HOST = "kompetenslyft.bench.invalid"
ISSUER = "https://moodle.bench.invalid"
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "1"
COURSES = 4
INSTRUMENT = "digcomp-2.2-full"  # what a link without settings opens

# gthread: a worker thread waits on PostgreSQL while another one runs Python, and kept-alive
# connections spare a TCP handshake per request; measured against sync in the report.
WORKER_CLASS = "gthread"
THREADS = 4
STEP_SECONDS = 20.0
LAUNCH_CONCURRENCY = (1, 8, 32, 64)
ANSWER_CONCURRENCY = (8, 32)
MEMORY_LAUNCHES = 10_000  # since warm-up, counting the launch steps' own
MEMORY_SECONDS = 600.0  # the most the launches still missing for that may take

TARGET_LAUNCH_RATE = 400.0  # launches/s at 32 concurrent, PostgreSQL
TARGET_LAUNCH_P95 = 50.0  # ms
TARGET_ANSWER_RATE = 1500.0  # saves/s
TARGET_ANSWER_P95 = 20.0  # ms
TARGET_WORKER_RSS = 120.0  # MB

DATABASE_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class Sizes:
    warmup: int
    launches: int  # per concurrency step (or STEP_SECONDS, whichever first)
    answer_users: int
    answers: int  # per concurrency step
    memory_launches: int
    launch_concurrency: tuple[int, ...]
    answer_concurrency: tuple[int, ...]
    step_seconds: float

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(20, 50, 8, 200, 100, (1, 8), (8,), 10.0)
        return cls(
            300, 8000, 64, 30_000, MEMORY_LAUNCHES, LAUNCH_CONCURRENCY, ANSWER_CONCURRENCY,
            STEP_SECONDS,
        )  # fmt: skip


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class Platform:
    """The bench's LTI platform: one RS256 key, a JWKS on loopback, pre-serialised claims."""

    def __init__(self, jwks: JsonServer) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "bench-key-1"
        numbers = self.key.public_key().public_numbers()
        public = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": self.kid,
            "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")).decode(),
            "e": _b64(numbers.e.to_bytes(3, "big")).decode(),
        }
        jwks.documents["/bench/jwks"] = lambda: {"keys": [public]}
        self.jwks_url = jwks.url + "/bench/jwks"
        self._header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        self.run = secrets.token_hex(4)

    def register(self, database: Database) -> None:
        with database.transaction() as session:
            ensure_keys(session)
            session.add(
                PlatformRegistration(
                    organisation=Organisation(slug="bench", name="Benchkommunen"),
                    issuer=ISSUER,
                    client_id=CLIENT_ID,
                    auth_login_url=ISSUER + "/mod/lti/auth.php",
                    auth_token_url=ISSUER + "/mod/lti/token.php",
                    key_set_url=self.jwks_url,
                    deployments=[Deployment(deployment_id=DEPLOYMENT_ID)],
                )
            )

    def claims_prefix(self, number: int) -> str:
        """Everything of launch `number`'s id_token but nonce, iat and exp, as JSON text
        without its closing brace: a new person (sub) in one of COURSES courses."""
        course = number % COURSES
        body = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": f"bench-{self.run}-{number}",
            "name": f"Person {number}",
            "given_name": "Person",
            "family_name": str(number),
            "email": f"person{number}@bench.invalid",
            c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
            c.VERSION: "1.3.0",
            c.DEPLOYMENT_ID: DEPLOYMENT_ID,
            c.TARGET_LINK_URI: f"https://{PUBLIC_HOST}/lti/launch",
            c.ROLES: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            c.CONTEXT: {"id": f"course-{course}", "label": f"DIGI{course}", "title": "Digitalt"},
            c.RESOURCE_LINK: {"id": f"link-{course}", "title": "Självskattning"},
            c.LAUNCH_PRESENTATION: {"locale": "sv-SE", "document_target": "iframe"},
        }
        return json.dumps(body, separators=(",", ":"))[:-1]

    def sign(self, prefix: str, nonce: str) -> str:
        now = int(time.time())
        # The nonce is the tool's URL-safe token: nothing in it needs JSON escaping.
        body = f'{prefix},"nonce":"{nonce}","iat":{now},"exp":{now + 60}}}'
        signing_input = self._header + b"." + _b64(body.encode())
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return (signing_input + b"." + _b64(signature)).decode()


class Server:
    """The tool under gunicorn on a free loopback port, in production mode."""

    def __init__(
        self,
        database_url: str,
        work: Path,
        *,
        workers: int,
        worker_class: str,
        threads: int,
        profile_to: Path | None = None,
    ) -> None:
        self.port = _free_port()
        self.work = work
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "KOMPETENSLYFT_MODE": "production",
            "KOMPETENSLYFT_DATABASE_URL": database_url,
            "KOMPETENSLYFT_SECRET_KEY": secrets.token_urlsafe(48),
            "KOMPETENSLYFT_PUBLIC_URL": f"https://{PUBLIC_HOST}",
            "KOMPETENSLYFT_PROXY_COUNT": "1",
            "KOMPETENSLYFT_INSTANCE_PATH": str(work / "instance"),
            "KOMPETENSLYFT_SCHEDULER_IN_WEB": "false",
            "KOMPETENSLYFT_DEV_PLATFORM": "false",
            # Counted as in production (the cost is measured), never reached: one virtual
            # user launches 30 times a second, no person does.
            "KOMPETENSLYFT_RATE_LIMIT_LOGIN_PER_MINUTE": "1000000",
            "KOMPETENSLYFT_RATE_LIMIT_LAUNCH_PER_MINUTE": "1000000",
        }
        for name in [name for name in env if name.startswith("KOMPETENSLYFT_CONFIG")]:
            del env[name]
        command = [
            sys.executable, "-m", "gunicorn",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--log-level", "warning",
            "--no-control-socket",
            "--worker-tmp-dir", str(work),
            # A profiled worker writes its profile at exit: that may take a while.
            "--graceful-timeout", "10" if profile_to is None else "180",
        ]  # fmt: skip
        if worker_class == "gthread":
            command += ["--threads", str(threads)]
        if profile_to is not None:
            env["KOMPETENSLYFT_BENCH_PROFILE"] = str(profile_to)
            command += ["--config", str(ROOT / "bench" / "gunicorn_profile.py")]
        command.append("lti_tool:create_app()")
        self.log = (work / "gunicorn.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self._log_tail()}")
            with (
                contextlib.suppress(OSError),  # not listening yet
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).split(b" ", 2)[1:2] == [b"200"]:
                    return
            time.sleep(0.2)
        tail = self._log_tail()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout} s: {tail}")

    def _log_tail(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.work / "gunicorn.log").read_text(errors="replace")[-2000:]

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return sorted(int(pid) for pid in children.read_text().split())

    def rss_mb(self) -> dict[int, float]:
        return {pid: _vm_rss_kb(pid) / 1024 for pid in self.workers()}

    def cpu_seconds(self) -> float:
        """User + system CPU of the workers so far (not PostgreSQL's, not the master's)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.workers():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=200)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the virtual users -------------------------------------------------------------------

_AUTH_URL = re.compile(r'data-auth-url="([^"]+)"')
_CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
SESSION_COOKIE = "kompetenslyft_session"


class Unexpected(Exception):
    """An answer that is not what the step expects: counted as an error."""


def _expect(response: Response, status: int, what: str) -> Response:
    if response.status != status:
        raise Unexpected(f"{what}: {response.status} (expected {status})")
    return response


class Browser:
    """One virtual user: a kept-alive connection and the tool's session cookie."""

    # Each virtual user comes from an address of its own, as people at their own desks do,
    # so the per-address rate limits (lti_tool.rate_limits) are paid for but not hit.
    _addresses = itertools.count(1)

    def __init__(self, port: int) -> None:
        number = next(self._addresses)
        self.connection = Connection(
            "127.0.0.1",
            port,
            extra_headers={
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": PUBLIC_HOST,
                "X-Forwarded-For": f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}",
                "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) bench/1.0",
                "Accept": "text/html,application/xhtml+xml",
                "Accept-Language": "sv-SE,sv;q=0.9",
            },
        )
        self.session: str | None = None
        self.csrf: str | None = None
        self.attempt_path: str | None = None

    def _keep_session(self, response: Response) -> None:
        cookie = response.cookies().get(SESSION_COOKIE)
        if cookie:
            self.session = cookie

    async def launch(self, platform: Platform, prefix: str) -> Response:
        """The whole launch; returns the first page (the assessment's start page)."""
        login = _expect(
            await self.connection.post_form(
                "/lti/login",
                {
                    "iss": ISSUER,
                    "login_hint": "3",
                    "target_link_uri": f"https://{PUBLIC_HOST}/lti/launch",
                    "lti_message_hint": '{"cmid":2}',
                    "client_id": CLIENT_ID,
                    "lti_deployment_id": DEPLOYMENT_ID,
                },
            ),
            200,
            "login",
        )
        found = _AUTH_URL.search(login.text)
        if found is None:
            raise Unexpected("login: no authentication request on the page")
        query = parse_qs(urlsplit(html.unescape(found.group(1))).query)
        state, nonce = query["state"][0], query["nonce"][0]
        state_cookie = "lti-state-" + state
        if login.cookies().get(state_cookie) != state:
            raise Unexpected("login: no state cookie")
        launched = _expect(
            await self.connection.post_form(
                "/lti/launch",
                {"id_token": platform.sign(prefix, nonce), "state": state},
                cookies={state_cookie: state},
            ),
            303,
            "launch",
        )
        self.session = launched.cookies().get(SESSION_COOKIE)
        if not self.session or urlsplit(launched.header("location") or "").path != "/":
            raise Unexpected("launch: no session or not sent to the start page")
        page = _expect(
            await self.connection.get("/", cookies={SESSION_COOKIE: self.session}), 200, "start"
        )
        self._keep_session(page)
        if b'action="/assessment/start"' not in page.body:
            raise Unexpected("start page without the assessment's Start button")
        return page

    async def start_attempt(self, page: Response) -> None:
        csrf = _CSRF.search(page.body)
        if csrf is None:
            raise Unexpected("start page without a CSRF token")
        self.csrf = html.unescape(csrf.group(1).decode())
        started = _expect(
            await self.connection.post_form(
                "/assessment/start",
                {"csrf_token": self.csrf},
                cookies={SESSION_COOKIE: self.session},
            ),
            303,
            "start attempt",
        )
        self._keep_session(started)
        path = urlsplit(started.header("location") or "").path
        self.attempt_path = path.rsplit("/items/", 1)[0]
        if "/attempts/" not in self.attempt_path:
            raise Unexpected(f"start attempt: sent to {path}")

    async def save_answer(self, number: int, option: str) -> None:
        saved = _expect(
            await self.connection.post_form(
                f"{self.attempt_path}/items/{number}",
                {"csrf_token": self.csrf, "answer": option, "direction": "next"},
                cookies={SESSION_COOKIE: self.session},
            ),
            303,
            "save answer",
        )
        self._keep_session(saved)


# --- steps -------------------------------------------------------------------------------


@dataclass
class Step:
    """What one closed-loop step measured."""

    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful only
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Milliseconds; nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    def detail(self, what: str) -> dict:
        return {
            "concurrency": self.concurrency,
            what: self.done,
            "errors": self.errors,
            "error_examples": self.error_examples[:3],
            "seconds": round(self.elapsed, 2),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2) if self.done else None,
            "client_cpu_s": round(self.client_cpu, 2),
            "client_cpu_ms_per_op": round(self.client_cpu / max(1, self.done) * 1000, 3),
            "server_workers_cpu_ms_per_op": round(self.server_cpu / max(1, self.done) * 1000, 3),
        }


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def closed_loop(
    users: list,
    action: Callable[[object, int], Awaitable[None]],
    count: int,
    seconds: float,
    server: Server,
) -> Step:
    """Each user repeats `action(user, number)` until `count` were started or `seconds` passed."""
    step = Step(concurrency=len(users))
    numbers = iter(range(count))
    started = time.perf_counter()
    deadline = started + seconds
    cpu, server_cpu = _process_cpu(), server.cpu_seconds()

    async def user_loop(user) -> None:
        for number in numbers:
            if time.perf_counter() >= deadline:
                return
            began = time.perf_counter()
            try:
                await action(user, number)
            except (LoadError, Unexpected) as error:
                step.errors += 1
                if len(step.error_examples) < 3:
                    step.error_examples.append(str(error)[:200])
                continue
            step.latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(user_loop(user) for user in users))
    step.elapsed = time.perf_counter() - started
    step.client_cpu = _process_cpu() - cpu
    step.server_cpu = server.cpu_seconds() - server_cpu
    return step


class LaunchLoad:
    """Launch after launch, each a new person; numbers are unique across the run."""

    def __init__(self, platform: Platform, server: Server) -> None:
        self.platform = platform
        self.server = server
        self.launched = 0  # numbers handed out (each launch a new person)
        self.completed = 0  # launches the tool accepted, for the memory figures

    async def step(self, concurrency: int, count: int, seconds: float) -> Step:
        first = self.launched
        # Claims for every launch this step may make, serialised before the clock starts.
        prefixes = [self.platform.claims_prefix(first + n) for n in range(count)]
        self.launched += count
        browsers = [Browser(self.server.port) for _ in range(concurrency)]

        async def one(browser: Browser, number: int) -> None:
            await browser.launch(self.platform, prefixes[number])

        try:
            step = await closed_loop(browsers, one, count, seconds, self.server)
            self.completed += step.done
            return step
        finally:
            for browser in browsers:
                browser.connection.close()


async def answer_users(launches: LaunchLoad, how_many: int) -> list[Browser]:
    """Learners who launched and pressed Start (made before the clock starts)."""
    browsers = [Browser(launches.server.port) for _ in range(how_many)]
    first = launches.launched
    launches.launched += how_many

    async def prepare(number: int, browser: Browser) -> None:
        page = await browser.launch(launches.platform, launches.platform.claims_prefix(number))
        await browser.start_attempt(page)

    await asyncio.gather(*(prepare(first + n, b) for n, b in enumerate(browsers)))
    launches.completed += how_many
    return browsers


async def answer_step(
    browsers: list[Browser], concurrency: int, count: int, seconds: float, server: Server
) -> Step:
    items = shipped_instruments()[INSTRUMENT].items
    progress = {id(browser): 0 for browser in browsers}

    async def one(browser: Browser, number: int) -> None:
        position = progress[id(browser)] % len(items)
        progress[id(browser)] += 1
        options = items[position].options
        await browser.save_answer(position + 1, options[number % len(options)].id)

    return await closed_loop(browsers[:concurrency], one, count, seconds, server)


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
