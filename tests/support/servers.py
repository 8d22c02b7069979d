"""Real HTTP servers on loopback for the tests: the tool itself and small platform doubles."""

from __future__ import annotations

import threading
from collections.abc import Callable

from werkzeug.serving import make_server

from tests.support.stub_server import Reply, Request, StubServer


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


class JsonServer(StubServer):
    """Serves JSON documents by path (GET) and counts requests, e.g. a platform's JWKS."""

    def __init__(self) -> None:
        self.documents: dict[str, Callable[[], dict]] = {}
        self.failing = False
        super().__init__(self._serve)

    def _serve(self, request: Request) -> Reply:
        if request.method != "GET":
            return Reply(501)
        document = self.documents.get(request.target)
        if self.failing or document is None:
            return Reply(503 if self.failing else 404)
        return Reply.json(document())
