"""Real HTTP servers on loopback for the tests: the tool itself and small platform doubles."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from werkzeug.serving import make_server


class LiveServer:
    """The Flask app served by werkzeug's threaded server on a free loopback port."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


class JsonServer:
    """Serves JSON documents by path and counts requests, e.g. a platform's JWKS."""

    def __init__(self) -> None:
        self.documents: dict[str, Callable[[], dict]] = {}
        self.hits: dict[str, int] = {}
        self.failing = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                document = outer.documents.get(self.path)
                if outer.failing or document is None:
                    self.send_response(503 if outer.failing else 404)
                    self.end_headers()
                    return
                body = json.dumps(document()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                """Quiet: a test reports through its assertions, not the server log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
