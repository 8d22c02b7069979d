"""One small HTTP server on loopback for every platform double the tests need.

A double (a JWKS host, an HR system, Moodle's web services, a platform's LTI services, a
framing course page) is a function from a request to a reply; this class is the rest: a
free port on 127.0.0.1, one thread per request, the requests it received in order, and a
clean stop (also as a context manager).  The five doubles that each wrote their own
`ThreadingHTTPServer` skeleton now differ only in what they answer.

    with StubServer(lambda request: Reply.json({"keys": []})) as server:
        requests.get(server.url + "/jwks")
        assert server.requests[0].path == "/jwks"

`routes` maps "METHOD /path" to a handler for exact paths (the query string is not part of
the key); a request no route or handler takes is answered 404.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """What the server received, as a double or a test reads it."""

    method: str
    target: str  # path and query, as sent
    headers: Mapping[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    @property
    def text(self) -> str:
        return self.body.decode()

    def form(self) -> dict[str, str]:
        """An application/x-www-form-urlencoded body, first value of each field."""
        return {key: values[0] for key, values in parse_qs(self.text).items()}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without an answer (a timeout to the client)

    @classmethod
    def json(
        cls, document: object, status: int = 200, content_type: str = "application/json", **headers
    ) -> Reply:
        return cls(status, json.dumps(document).encode(), {"Content-Type": content_type, **headers})

    @classmethod
    def html(cls, page: str, status: int = 200) -> Reply:
        return cls(status, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def unanswered(cls) -> Reply:
        return cls(drop=True)


Handler = Callable[[Request], Reply]


class StubServer:
    """Serves `handler` (or the exact `routes`) on a free port of 127.0.0.1 until stopped.

    `host` only changes how `url` names the server: "localhost" makes it another site than
    a tool on 127.0.0.1, for a browser."""

    def __init__(
        self,
        handler: Handler | None = None,
        routes: Mapping[str, Handler] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self._handler = handler
        self._routes = dict(routes or {})
        self.requests: list[Request] = []
        self.in_flight = 0  # requests being answered now, until their reply is written
        self._recording = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self._server.daemon_threads = True
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> StubServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def hits(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    def _dispatch(self, request: Request) -> Reply:
        with self._recording:
            self.requests.append(request)
        route = self._routes.get(f"{request.method} {request.path}")
        if route is not None:
            return route(request)
        if self._handler is not None:
            return self._handler(request)
        return Reply(404)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class _Exchange(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                with stub._recording:
                    stub.in_flight += 1
                try:
                    self._exchange()
                finally:
                    with stub._recording:
                        stub.in_flight -= 1

            def _exchange(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = stub._dispatch(Request(self.command, self.path, self.headers, body))
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's naming)

            def log_message(self, *args):
                """Quiet: a test reports through its assertions, not the server log."""

        return _Exchange
