"""A fake HR system on loopback: serves the staff list as the README's JSON contract says."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HrEndpoint:
    """GET /staff answers {"employees": [...]}, only with the right bearer token when one is set."""

    def __init__(self, token: str | None = None) -> None:
        self.employees: list[dict] = []
        self.token = token
        self.status = 200
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                outer.hits += 1
                authorised = outer.token is None or (
                    self.headers.get("Authorization") == f"Bearer {outer.token}"
                )
                status = outer.status if authorised else 401
                body = json.dumps({"employees": outer.employees}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                """Quiet: a test reports through its assertions, not the server log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/staff"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
