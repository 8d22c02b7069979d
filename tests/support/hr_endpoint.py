"""A fake HR system on loopback: serves the staff list as the README's JSON contract says."""

from __future__ import annotations

from tests.support.stub_server import Reply, Request, StubServer


class HrEndpoint(StubServer):
    """GET /staff answers {"employees": [...]}, only with the right bearer token when one is set."""

    def __init__(self, token: str | None = None) -> None:
        self.employees: list[dict] = []
        self.token = token
        self.status = 200
        super().__init__(self._serve)
        self.url += "/staff"

    def _serve(self, request: Request) -> Reply:
        if request.method != "GET":
            return Reply(501)
        authorised = self.token is None or (
            request.headers.get("Authorization") == f"Bearer {self.token}"
        )
        return Reply.json({"employees": self.employees}, self.status if authorised else 401)
