"""A fast LRS double for the forwarding bench: the xAPI Statement API's POST and nothing else.

It answers POST /xAPI/statements as an LRS does (xAPI 1.0.3, 2.1.2): the
X-Experience-API-Version header and Basic auth are checked, the body is parsed
as JSON (one statement or a list), and the answer is 200 with the list of ids.
It keeps no statements, only counts: POSTs, ids received and distinct ids (so
the bench can check that each statement arrived once).  GET /_state returns
the counts; POST /_reset clears them.

It runs in a process of its own (`FastLrs().start()`), as a real LRS would on
another machine, so parsing 300 KB bodies does not take the GIL from the
forwarding job being measured.  tests/support/ralph_lrs.py is the real, slow,
validating double the tests use.

    python -m bench.fast_lrs [PORT]    # 0 (the default): an ephemeral port, printed
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

USERNAME = "bench"
PASSWORD = "bench-lrs-password"  # noqa: S105 - the double's own credential
VERSIONS = ("1.0.", "2.0.")
ROOT = Path(__file__).resolve().parents[1]


class _Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.posts = 0
        self.ids = 0
        self.seen: set[str] = set()
        self.statuses: dict[int, int] = {}

    def state(self) -> dict:
        with self.lock:
            return {
                "posts": self.posts,
                "ids": self.ids,
                "distinct": len(self.seen),
                "statuses": {str(k): v for k, v in self.statuses.items()},
            }


COUNTS = _Counts()
EXPECTED_AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client's session reuses one connection

    def log_message(self, *args) -> None:
        """Quiet: a line per request would cost the double more than answering it."""

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with COUNTS.lock:
            COUNTS.statuses[status] = COUNTS.statuses.get(status, 0) + 1

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        if self.path == "/_state":
            self._answer(200, COUNTS.state())
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if self.path == "/_reset":
            with COUNTS.lock:
                COUNTS.reset()
            self._answer(200, {})
            return
        if self.path.rstrip("/") != "/xAPI/statements":
            self._answer(404, {"error": "not found"})
            return
        version = self.headers.get("X-Experience-API-Version", "")
        if not version.startswith(VERSIONS):
            self._answer(400, {"error": f"X-Experience-API-Version {version!r} not supported"})
            return
        if self.headers.get("Authorization") != EXPECTED_AUTH:
            self._answer(401, {"error": "credentials refused"})
            return
        try:
            statements = json.loads(body)
        except ValueError as error:
            self._answer(400, {"error": f"the body is not JSON: {error}"})
            return
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list) or not all(
            isinstance(s, dict) and isinstance(s.get("id"), str) and "actor" in s and "verb" in s
            for s in statements
        ):
            self._answer(400, {"error": "expected statements with id, actor and verb"})
            return
        ids = [s["id"] for s in statements]
        with COUNTS.lock:
            COUNTS.posts += 1
            COUNTS.ids += len(ids)
            COUNTS.seen.update(ids)
        self._answer(200, ids)


def serve(port: int = 0) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


class FastLrs:
    """The double in a child process on an ephemeral loopback port."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.url = ""

    @property
    def endpoint(self) -> str:
        return f"{self.url}/xAPI/"

    def start(self) -> FastLrs:
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "bench.fast_lrs"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.state()
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the fast LRS did not start")

    def state(self) -> dict:
        return requests.get(f"{self.url}/_state", timeout=10).json()

    def reset(self) -> None:
        requests.post(f"{self.url}/_reset", timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process.stdout.close()
            self.process = None


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
