"""An LRS on loopback for the forwarding tests: the LRS that docker/compose.yaml ships.

Ralph (openfun/ralph, the LRS behind France Université Numérique) validates
every statement with its xAPI models, answers POST /xAPI/statements with the
stored ids, keeps one copy of a statement it already holds with the same
content and answers 409 for a different one (422 for a statement its models
refuse, as FastAPI does).  The process runs what compose's `lrs` service runs:
the ASGI app its command names, with its environment (the backend, docker/lrs/,
that appends every batch; the users file; the statements folder), its data
volume's mount point moved into the test's folder.  Nothing here patches Ralph.

In front of it sits a small ASGI layer that misbehaves on command, the way
real LRSs do: 503 or 429 with Retry-After, 413 for batches over a size, 409 for
any id already held (as stricter LRSs answer), and holding a POST (before or
after Ralph writes it) so a test can kill the sender mid-batch.  Tests command
it through `/_control`.

Run as a process: `python -m tests.support.ralph_lrs PORT DIRECTORY`; the
`RalphLrs` class starts and stops such a process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

USERNAME = "kompetenslyft"
PASSWORD = "lrs-test-password"
# Ralph's file backend's DEFAULT_LRS_FILE, in the folder its settings name.
STATEMENTS_FILE = "fs_lrs.jsonl"
STATEMENTS_FOLDER = "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH"
ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"


def deployed_lrs(data: Path) -> tuple[str, dict[str, str]]:
    """Compose's `lrs` service as a process here: its ASGI app and its environment.

    Paths under the service's data volume (/data) are moved to `data`; nothing else changes.
    """
    import yaml

    service = yaml.safe_load(COMPOSE.read_text())["services"]["lrs"]
    (volume,) = service["volumes"]
    mount_point = volume.split(":")[1].rstrip("/")
    program, app, *_ = service["command"]
    if program != "uvicorn":
        raise RuntimeError(f"compose's lrs service runs {program}, not uvicorn: update this double")
    environment = {}
    for name, value in service["environment"].items():
        value = str(value)
        if value == mount_point or value.startswith(mount_point + "/"):
            value = str(data) + value[len(mount_point) :]
        environment[name] = value
    return app, environment


class RalphLrs:
    """A Ralph LRS process on a loopback port, its statements in `directory`."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.statements_file = Path(deployed_lrs(directory)[1][STATEMENTS_FOLDER]) / STATEMENTS_FILE
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"{self.url}/xAPI/"
        self.process: subprocess.Popen | None = None

    def start(self) -> RalphLrs:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.ralph_lrs", str(self.port), str(self.directory)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "server.log", "ab"),  # noqa: SIM115 - the process owns it
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "server.log").read_text()
                raise RuntimeError(f"Ralph LRS exited: {log}")
            try:
                requests.get(f"{self.url}/_control", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("Ralph LRS did not start within 60 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def control(self, **state) -> dict:
        return requests.post(f"{self.url}/_control", json=state, timeout=10).json()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_control", timeout=10).json()

    def wait_until(self, condition, timeout: float = 60.0) -> dict:
        """Polls the LRS's state until `condition(state)` holds (a condition, not a guess)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if condition(state):
                return state
            time.sleep(0.02)
        raise AssertionError(f"the LRS never reached the expected state; last: {self.state()}")

    def statements(self) -> list[dict]:
        """Every statement Ralph wrote, in order, duplicates included (there must be none)."""
        return _read_lines(self.statements_file)

    def statement_ids(self) -> list[str]:
        return [statement["id"] for statement in self.statements()]

    def clear(self) -> None:
        self.statements_file.unlink(missing_ok=True)
        self.control(reset=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the server process -------------------------------------------------------------------


class Faults:
    """ASGI middleware: the misbehaviour the test asked for, then Ralph."""

    def __init__(self, app, statements_file: Path) -> None:
        self.app = app
        self.statements_file = statements_file
        self.reset()

    def reset(self) -> None:
        self.mode = "ok"  # ok | unavailable | throttled | strict
        self.retry_after: int | None = None
        self.max_batch: int | None = None
        self.hold: str | None = None  # None | "before" | "after": hold each POST there
        self.held: str | None = None
        self.release: asyncio.Event | None = None
        self.release_action = "continue"
        self.posts = 0
        self.statuses: list[int] = []
        self.versions: list[str] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"] == "/_control":
            return await self._control(scope, receive, send)
        if scope["method"] != "POST" or not scope["path"].rstrip("/").endswith("/statements"):
            return await self.app(scope, receive, send)
        body = await _read_body(receive)
        self.posts += 1
        headers = dict(scope["headers"])
        self.versions.append(headers.get(b"x-experience-api-version", b"").decode())
        refusal = self._refusal(body)
        if refusal is not None:
            self.statuses.append(refusal[0])
            return await _respond(send, *refusal)
        replay = _replaying(body)
        if self.hold == "before" and not await self._held("before"):
            return await _respond(send, 503, {"detail": "dropped while held"})
        if self.hold == "after":
            captured: list[dict] = []

            async def capture(message):
                captured.append(message)

            await self.app(scope, replay, capture)
            await self._held("after")
            for message in captured:
                await send(message)
            return None
        status_seen = []

        async def watch(message):
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
            await send(message)

        await self.app(scope, replay, watch)
        self.statuses.extend(status_seen)
        return None

    def _refusal(self, body: bytes) -> tuple[int, dict, dict] | None:
        retry = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if self.mode == "unavailable":
            return 503, {"detail": "the LRS is down for maintenance"}, retry
        if self.mode == "throttled":
            return 429, {"detail": "too many requests"}, retry
        try:
            statements = json.loads(body)
        except ValueError:
            return None
        if isinstance(statements, dict):
            statements = [statements]
        if self.max_batch is not None and len(statements) > self.max_batch:
            return 413, {"detail": f"at most {self.max_batch} statements a request"}, {}
        if self.mode == "strict":
            held = {line.get("id") for line in _read_lines(self.statements_file)}
            known = [s.get("id") for s in statements if s.get("id") in held]
            if known:
                return 409, {"detail": f"statement {known[0]} already exists"}, {}
        return None

    async def _held(self, where: str) -> bool:
        self.release = asyncio.Event()
        self.held = where
        await self.release.wait()
        self.held = None
        return self.release_action != "drop"

    async def _control(self, scope, receive, send):
        if scope["method"] == "POST":
            change = json.loads(await _read_body(receive) or b"{}")
            if change.pop("reset", False):
                self.reset()
            if "release" in change:
                self.release_action = change.pop("release")
                if self.release is not None:
                    self.release.set()
            for name, value in change.items():
                setattr(self, name, value)
        state = {
            "mode": self.mode,
            "hold": self.hold,
            "held": self.held,
            "posts": self.posts,
            "statuses": self.statuses,
            "versions": self.versions,
        }
        return await _respond(send, 200, state)


def _read_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def _read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def _replaying(body: bytes):
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _respond(send, status: int, document: dict, headers: dict | None = None) -> None:
    body = json.dumps(document).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def serve(port: int, directory: Path) -> None:
    """Runs compose's `lrs` service here, behind the fault layer; one user, the tests'."""
    import importlib

    app_path, environment = deployed_lrs(directory)
    os.environ.update(environment)  # before Ralph is imported: it reads them then
    from kompetenslyft_lrs import add_user

    agent = {"objectType": "Agent", "account": {"homePage": "http://127.0.0.1", "name": USERNAME}}
    # The users file as `python -m kompetenslyft_lrs add-user` writes it (README's step).
    add_user(Path(environment["RALPH_AUTH_FILE"]), USERNAME, PASSWORD, agent, ["all"], rounds=4)
    import uvicorn

    module, _, name = app_path.partition(":")
    app = getattr(importlib.import_module(module), name)
    statements_file = Path(environment[STATEMENTS_FOLDER]) / STATEMENTS_FILE
    uvicorn.run(Faults(app, statements_file), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]))
