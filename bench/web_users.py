"""The web bench's virtual users: browsers that launch through the whole LTI 1.3 flow and save
answers, and the closed-loop steps that time them (bench/web.py runs them)."""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from bench.http_load import Connection, LoadError, Response
from bench.web_server import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    INSTRUMENT,
    ISSUER,
    PUBLIC_HOST,
    Platform,
    Server,
)
from competence.instruments import shipped_instruments

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
