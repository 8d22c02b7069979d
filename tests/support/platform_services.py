"""A platform's LTI Advantage services on loopback, strict about what the spec requires.

Token endpoint (client credentials with a private_key_jwt assertion checked
against the tool's JWKS), AGS line items and scores (bearer token, scope and
content type checked), so a test sees what a real platform would refuse.
"""

from __future__ import annotations

import json
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from jwcrypto.jwk import JWK

from tests.support.stub_server import Reply, Request, StubServer

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"


class PlatformServices(StubServer):
    def __init__(self, tool_url: str, client_id: str, granted_scopes: set[str]) -> None:
        self.tool_url = tool_url
        self.client_id = client_id
        self.granted_scopes = set(granted_scopes)
        self.tokens: dict[str, set[str]] = {}
        self.token_requests = 0
        self.line_items: dict[str, dict] = {}
        self.scores: dict[str, dict[str, dict]] = {}  # line item url -> user -> score
        self.score_posts = 0
        self.line_item_lists = 0
        self.refusals: list[str] = []
        self.down = False
        self.fail_scores_with: int | None = None
        self._lock = threading.Lock()
        super().__init__(self._handle)
        self.token_url = self.url + "/mod/lti/token.php"
        self.lineitems_url = self.url + "/mod/lti/services.php/2/lineitems?type_id=1"
        self.default_lineitem = self.url + "/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"
        self.line_items[self.default_lineitem] = {"id": self.default_lineitem, "label": "Activity"}

    # -- the exchange -----------------------------------------------------------------------

    def _handle(self, request: Request) -> Reply:
        method = request.method
        body = request.text
        path = urlsplit(request.target)
        with self._lock:
            if self.down:
                return self._reply(503, {"error": "maintenance"}, retry_after="1")
            if path.path == "/mod/lti/token.php" and method == "POST":
                return self._token(request, body)
            scopes = self._bearer_scopes(request)
            if scopes is None:
                return self._refuse(401, "missing or unknown bearer token")
            full = self.url + request.target
            if path.path.endswith("/lineitems") and method == "POST":
                return self._create_line_item(request, body, scopes)
            if path.path.endswith("/lineitems") and method == "GET":
                return self._list_line_items(request, parse_qs(path.query), scopes)
            if path.path.endswith("/scores") and method == "POST":
                return self._score(request, full, body, scopes)
            return self._refuse(404, f"no such service {method} {request.target}")

    def _token(self, request, body: str) -> Reply:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if form.get("grant_type") != "client_credentials":
            return self._refuse(400, "unsupported_grant_type")
        if form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return self._refuse(400, "invalid client_assertion_type")
        try:
            self._check_assertion(form.get("client_assertion", ""))
        except (jwt.InvalidTokenError, KeyError, StopIteration) as error:
            return self._refuse(401, f"invalid_client: {error}")
        requested = set(form.get("scope", "").split())
        if not requested or not requested <= self.granted_scopes:
            return self._refuse(400, f"invalid_scope: {sorted(requested)}")
        token = secrets.token_urlsafe(16)
        self.tokens[token] = requested
        # Moodle labels this JSON as text/html; so does this double.
        return self._reply(
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": " ".join(sorted(requested)),
            },
            content_type="text/html; charset=utf-8",
        )

    def _check_assertion(self, assertion: str) -> None:
        kid = jwt.get_unverified_header(assertion)["kid"]
        keys = requests.get(self.tool_url + "/.well-known/jwks.json", timeout=5).json()["keys"]
        key = next(k for k in keys if k["kid"] == kid)
        claims = jwt.decode(
            assertion,
            JWK(**key).export_to_pem(),
            algorithms=["RS256"],
            audience=self.token_url,
            options={"require": ["exp", "iat", "jti", "iss", "sub"]},
        )
        if claims["iss"] != self.client_id or claims["sub"] != self.client_id:
            raise jwt.InvalidTokenError("iss and sub must be the client id")

    def _bearer_scopes(self, request) -> set[str] | None:
        header = request.headers.get("Authorization", "")
        return (
            self.tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )

    def _create_line_item(self, request, body: str, scopes: set[str]) -> Reply:
        if LINEITEM_SCOPE not in scopes:
            return self._refuse(403, "token lacks the lineitem scope")
        if request.headers.get("Content-Type", "").split(";")[0] != LINEITEM_TYPE:
            return self._refuse(415, "line items are application/vnd.ims.lis.v2.lineitem+json")
        item = json.loads(body)
        if not isinstance(item.get("scoreMaximum"), int | float) or not item.get("label"):
            return self._refuse(400, "scoreMaximum and label are required")
        number = len(self.line_items) + 10
        url = f"{self.url}/mod/lti/services.php/2/lineitems/{number}/lineitem?type_id=1"
        item["id"] = url
        self.line_items[url] = item
        return self._reply(201, item, content_type=LINEITEM_TYPE)

    def _list_line_items(self, request, query: dict, scopes: set[str]) -> Reply:
        """Moodle's container: its own item of an activity has resourceLinkId and ltiLinkId
        (tests/fixtures/moodle-4.5/ags-lineitems-get.json); `resource_link_id` filters."""
        if not scopes & {LINEITEM_SCOPE, LINEITEM_SCOPE + ".readonly"}:
            return self._refuse(403, "token lacks the lineitem scope")
        self.line_item_lists += 1
        wanted = (query.get("resource_link_id") or [None])[0]
        items = [
            item
            for item in self.line_items.values()
            if wanted is None or str(item.get("resourceLinkId")) == wanted
        ]
        return self._reply(200, items, content_type=CONTAINER_TYPE)

    def _score(self, request, full_url: str, body: str, scopes: set[str]) -> Reply:
        if SCORE_SCOPE not in scopes:
            return self._refuse(403, "token lacks the score scope")
        if request.headers.get("Content-Type", "").split(";")[0] != SCORE_TYPE:
            return self._refuse(415, "scores are application/vnd.ims.lis.v1.score+json")
        parts = urlsplit(full_url)
        lineitem = parts._replace(path=parts.path.removesuffix("/scores")).geturl()
        if lineitem not in self.line_items:
            return self._refuse(404, f"no line item {lineitem}")
        if self.fail_scores_with:
            return self._refuse(self.fail_scores_with, "refused by the test")
        score = json.loads(body)
        required = {"userId", "activityProgress", "gradingProgress", "timestamp"}
        if not required <= set(score):
            return self._refuse(400, f"missing {sorted(required - set(score))}")
        self.score_posts += 1
        kept = self.scores.setdefault(lineitem, {}).get(score["userId"])
        # The spec's rule: a score older than the one kept changes nothing.
        if kept is None or score["timestamp"] >= kept["timestamp"]:
            self.scores[lineitem][score["userId"]] = score
        return self._reply(200, None)

    # -- replies ---------------------------------------------------------------------------

    def _refuse(self, status: int, reason: str) -> Reply:
        self.refusals.append(f"{status} {reason}")
        return self._reply(status, {"error": reason})

    @staticmethod
    def _reply(
        status: int,
        body,
        content_type: str = "application/json",
        retry_after: str | None = None,
    ) -> Reply:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if retry_after:
            headers["Retry-After"] = retry_after
        return Reply(status, data, headers)
