"""An HR competence-record API on loopback that holds the tool to the repo's contract.

Every request is validated against docs/hr-competence-records.openapi.yaml with
openapi-core (a request the contract does not allow is answered 400 and kept in
`violations`, which tests assert empty), its HMAC signature and credentials
checked, and its effect stored once per Idempotency-Key, as a real HR system
that honours the contract would.  `receipts` counts every request per key,
`stored` every record stored per record id.

Misbehaviour on command, the way real HR systems do: down (the port refuses
connections), 500s for the next n requests, 429 with Retry-After, 400 for the
records of chosen employees (poison), and holding each request before or after
storing it until the test releases it (so a sender can be killed, or time out,
mid-request).  Runs in the test's process, in a thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "hr-competence-records.openapi.yaml"
CLIENT_ID = "kompetenslyft"
CLIENT_SECRET = "hr-client-secret"  # noqa: S105 - the double's own test credential
API_KEY = "hr-api-key"
HMAC_KEY = "hr-hmac-key"


class HrRestDouble:
    def __init__(
        self, port: int = 0, token_lifetime: int = 3600, check_contract: bool = True
    ) -> None:
        self.token_lifetime = token_lifetime
        # The benchmark turns the contract checks off: they cost the double more than the
        # tool's sending costs the tool, and the tests hold the tool to the contract.
        self.check_contract = check_contract
        self.lock = threading.Condition()
        self.server = None
        self.port = port
        self.reset()
        self._start_server()
        self.openapi = self._contract()

    # --- what tests look at and command -------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth2/token"

    def reset(self) -> None:
        with self.lock:
            self.effects: dict[str, bytes] = {}  # idempotency key -> the body stored
            self.stored: Counter = Counter()  # record id -> times stored (must be 1)
            self.receipts: Counter = Counter()  # idempotency key -> requests seen
            self.statuses: list[int] = []
            self.violations: list[str] = []
            self.tokens: dict[str, float] = {}
            self.tokens_issued = 0
            self.auth_headers: list[str] = []
            self.poison: set[str] = set()  # employee ids whose records are invalid
            self.failures = 0  # answer the next n record requests with 500
            self.throttle_for: int | None = None  # answer 429 with this Retry-After
            self.hold: str | None = None  # None | "before" | "after"
            self.held = 0
            self.releases = 0
            self.drop_held = False

    def set(self, **state) -> None:
        with self.lock:
            for name, value in state.items():
                setattr(self, name, value)
            self.lock.notify_all()

    def release(self, drop: bool = False) -> None:
        """Let every held request go on (or, when held before storing, fail with 503)."""
        with self.lock:
            self.hold = None
            self.drop_held = drop
            self.releases += 1
            self.lock.notify_all()

    def wait_until(self, condition, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not condition(self):
                left = deadline - time.monotonic()
                assert left > 0, f"the HR double never got there: {self.summary()}"
                self.lock.wait(min(left, 0.5))

    def summary(self) -> dict:
        return {
            "effects": len(self.effects),
            "held": self.held,
            "statuses": Counter(self.statuses),
            "violations": self.violations[:3],
        }

    def go_down(self) -> None:
        """Stop listening: connections are refused until `come_up`."""
        server, self.server = self.server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self.thread.join(timeout=10)

    def come_up(self) -> None:
        if self.server is None:
            self._start_server()

    def stop(self) -> None:
        self.release(drop=True)
        self.go_down()

    # --- the server ---------------------------------------------------------------------

    def _start_server(self) -> None:
        self.server = make_server(
            "127.0.0.1", self.port, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _contract(self) -> OpenAPI:
        import yaml

        document = yaml.safe_load(CONTRACT.read_text())
        document["servers"].append({"url": f"http://127.0.0.1:{self.port}/api/v1"})
        config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
        return OpenAPI.from_dict(document, config=config)

    def _wsgi(self, environ, start_response):
        request = Request(environ)
        if request.path == "/oauth2/token":
            response = self._token(request)
        else:
            response = self._records(request)
            if self.check_contract:
                self._check_answer(request, response)
        with self.lock:
            self.statuses.append(response.status_code)
            self.lock.notify_all()
        return response(environ, start_response)

    def _check_answer(self, request: Request, response: Response) -> None:
        """The double's own answers must be what the contract promises too."""
        if response.status_code == 400 and self.violations:
            return
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Unsupported scheme type")
                self.openapi.validate_response(
                    WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
                )
        except Exception as error:  # noqa: BLE001
            with self.lock:
                self.violations.append(f"answer {response.status_code}: {error}")

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return _json(401, {"error": "invalid_client"})
        if request.form.get("grant_type") != "client_credentials":
            return _json(400, {"error": "unsupported_grant_type"})
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
            self.tokens_issued += 1
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        return _json(200, body)

    def _records(self, request: Request) -> Response:
        body = request.get_data()
        key = request.headers.get("Idempotency-Key", "")
        try:
            with warnings.catch_warnings():
                # openapi-core checks API keys but not OAuth2; the double checks both itself.
                warnings.filterwarnings("ignore", "Unsupported scheme type")
                if self.check_contract:
                    self.openapi.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as error:  # noqa: BLE001 - every contract violation counts
            detail = f"{type(error).__name__}: {error}; {getattr(error, '__cause__', '')}"
            with self.lock:
                self.violations.append(detail)
            return _problem(400, "Not what the contract allows", detail)
        refusal = self._check_credentials(request, body)
        if refusal is not None:
            return refusal
        with self.lock:
            self.receipts[key] += 1
            self.auth_headers.append(
                "bearer" if request.headers.get("Authorization") else "api-key"
            )
            if self.failures > 0:
                self.failures -= 1
                return _problem(500, "Internal error", "the HR system failed")
            if self.throttle_for is not None:
                return _problem(429, "Too many requests", "slow down", self.throttle_for)
        document = json.loads(body)
        if self._hold("before"):
            return _problem(503, "Unavailable", "dropped while held")
        if request.path.endswith("/batch"):
            response = self._store_batch(key, body, document)
        else:
            response = self._store_one(key, body, document["records"])
        self._hold("after")
        return response

    def _check_credentials(self, request: Request, body: bytes) -> Response | None:
        timestamp = request.headers.get("X-Kompetenslyft-Timestamp", "")
        expected = hmac.new(HMAC_KEY.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        given = request.headers.get("X-Kompetenslyft-Signature", "")
        if not hmac.compare_digest(given, "sha256=" + expected.hexdigest()):
            return _problem(401, "Bad signature", "the signature does not match the body")
        if abs(time.time() - int(timestamp)) > 300:
            return _problem(401, "Stale", "the timestamp is more than 5 minutes off")
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            with self.lock:
                expires = self.tokens.get(authorization.removeprefix("Bearer "))
            if expires is None or expires < time.monotonic():
                return _problem(401, "Bad token", "unknown or expired token")
        elif request.headers.get("X-API-Key") != API_KEY:
            return _problem(401, "No credentials", "a token or an API key is required")
        return None

    def _hold(self, where: str) -> bool:
        """Wait while told to hold here; True when the held request is to be dropped."""
        with self.lock:
            if self.hold != where:
                return False
            self.held += 1
            self.lock.notify_all()
            releases = self.releases
            while self.releases == releases:
                self.lock.wait()
            self.held -= 1
            self.lock.notify_all()
            return self.drop_held and where == "before"

    def _store_one(self, key: str, body: bytes, records: list[dict]) -> Response:
        canonical = json.dumps(records, sort_keys=True).encode()
        with self.lock:
            if key in self.effects:
                if self.effects[key] != canonical:
                    return _problem(409, "Conflict", "this key was used for another body")
                return _json(200, {"idempotency_key": key, "status": "duplicate", "records": 0})
            poisoned = [r["employee_id"] for r in records if r["employee_id"] in self.poison]
            if poisoned:
                return _problem(400, "Invalid record", f"unknown employee {poisoned[0]}")
            self.effects[key] = canonical
            for record in records:
                self.stored[record["record_id"]] += 1
            self.lock.notify_all()
        return _json(201, {"idempotency_key": key, "status": "created", "records": len(records)})

    def _store_batch(self, key: str, body: bytes, document: dict) -> Response:
        results = []
        for item in document["items"]:
            with self.lock:
                self.receipts[item["idempotency_key"]] += 1
            answer = self._store_one(item["idempotency_key"], body, item["records"])
            status = {201: "created", 200: "duplicate", 409: "conflict", 400: "invalid"}
            result = {
                "idempotency_key": item["idempotency_key"],
                "status": status[answer.status_code],
            }
            if answer.status_code == 400:
                result["detail"] = json.loads(answer.get_data())["detail"]
            results.append(result)
        return _json(200, {"results": results})


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Quiet: the tests' output shows the tool's requests, not the double's log."""


def _json(status: int, document: dict) -> Response:
    return Response(json.dumps(document), status=status, content_type="application/json")


def _problem(status: int, title: str, detail: str, retry_after: int | None = None) -> Response:
    response = Response(
        json.dumps({"title": title, "status": status, "detail": detail}),
        status=status,
        content_type="application/problem+json",
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response
