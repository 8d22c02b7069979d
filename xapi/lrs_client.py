"""Talking to an organisation's LRS: the Statement API's POST and GET, and what its answers mean.

The forwarding job only needs to know two kinds of failure: the LRS refused
these statements (400, 409, 413: retrying the same batch cannot help, but a
smaller one might), or the LRS cannot take anything right now (down, slow,
overloaded, our credentials refused: try the same statements later).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import requests

# Answers that say something about the statements sent, not about the LRS (422 is how
# some LRSs built on FastAPI, Ralph among them, say 400).
REJECTING_STATUSES = (400, 409, 413, 422)
# Properties the LRS sets or may set; not part of what the tool sent.
LRS_PROPERTIES = ("stored", "authority", "version")


class LrsRejected(Exception):
    """The LRS refused the statements sent (HTTP 400, 409 or 413), with its reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class LrsUnavailable(Exception):
    """The LRS cannot take statements now; `retry_after` is what it asked for, if anything."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class LrsTarget:
    endpoint: str
    credentials: tuple[str, str] | None
    version: str = "1.0.3"

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


class LrsClient:
    def __init__(self, http: requests.Session) -> None:
        self.http = http

    def post_statements(self, target: LrsTarget, statements: list[dict]) -> None:
        """Send a batch; returns when the LRS stored it (or already held all of it)."""
        self._post(target, json.dumps(statements, separators=(",", ":")).encode())

    def post_documents(self, target: LrsTarget, documents: Sequence[str]) -> None:
        """`post_statements` for statements already in JSON (as stored): the body is their
        texts joined into a JSON array, UTF-8; nothing is parsed or serialised again."""
        self._post(target, ("[" + ",".join(documents) + "]").encode())

    def _post(self, target: LrsTarget, body: bytes) -> None:
        response = self._request(
            "POST",
            target,
            data=body,
            headers={"Content-Type": "application/json"},
        )
        if response.status_code in (200, 204):
            return
        reason = _reason(response)
        if response.status_code in REJECTING_STATUSES:
            raise LrsRejected(response.status_code, reason)
        raise _unavailable(response, reason)

    def get_statement(self, target: LrsTarget, statement_id: str) -> dict | None:
        """The statement the LRS holds under this id, or None when it holds none."""
        response = self._request("GET", target, params={"statementId": statement_id})
        if response.status_code == 404:
            return None
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError as error:
                raise LrsUnavailable("the LRS answered a statement query with non-JSON") from error
            if isinstance(body, dict) and isinstance(body.get("statements"), list):
                # Some LRSs (Ralph among them) answer statementId with a statement result.
                matches = [s for s in body["statements"] if s.get("id") == statement_id]
                return matches[0] if matches else None
            return body
        raise _unavailable(response, _reason(response))

    def get_statements(
        self, target: LrsTarget, since: str | None = None, limit: int = 200, max_pages: int = 1000
    ) -> Iterator[dict]:
        """Every statement stored after `since` (ISO 8601), oldest first, following `more`.

        `more` is a URL relative to the LRS's host (xAPI 1.0.3, 2.1.2); an LRS may also
        answer it absolute.  A page that is not a StatementResult is LrsUnavailable."""
        params: dict | None = {"limit": limit, "ascending": "true"}
        if since:
            params["since"] = since
        url = target.statements_url
        for _ in range(max_pages):
            response = self._request("GET", target, url=url, params=params)
            if response.status_code != 200:
                raise _unavailable(response, _reason(response))
            try:
                body = response.json()
            except ValueError as error:
                raise LrsUnavailable("the LRS answered a statement query with non-JSON") from error
            if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
                raise LrsUnavailable("the LRS answered a statement query without statements")
            yield from body["statements"]
            more = body.get("more")
            if not more or not body["statements"]:
                return
            url, params = urljoin(target.statements_url, more), None

    def _request(
        self, method: str, target: LrsTarget, url: str | None = None, **kwargs
    ) -> requests.Response:
        headers = {"X-Experience-API-Version": target.version, **kwargs.pop("headers", {})}
        try:
            return self.http.request(
                method,
                url or target.statements_url,
                headers=headers,
                auth=target.credentials,
                **kwargs,
            )
        except requests.Timeout as error:
            raise LrsUnavailable(f"the LRS did not answer in time ({error})") from error
        except requests.RequestException as error:
            raise LrsUnavailable(f"the LRS cannot be reached ({error})") from error


def same_statement(sent: dict, held: dict) -> bool:
    """Whether the LRS holds what was sent, ignoring what an LRS adds or normalises."""

    def significant(statement: dict) -> dict:
        return {k: v for k, v in statement.items() if k not in LRS_PROPERTIES + ("timestamp",)}

    return significant(sent) == significant(held) and _same_instant(
        sent.get("timestamp"), held.get("timestamp")
    )


def _same_instant(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a == b
    try:
        return _parse(a) == _parse(b)
    except ValueError:
        return a == b


def _parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason or ""
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "errorMessage"):
            if body.get(key):
                return str(body[key])[:500]
    return json.dumps(body)[:500]


def retry_after_seconds(header: str, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    header = header.strip()
    if not header:
        return None
    if header.isdigit():
        return float(header)
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _unavailable(response: requests.Response, reason: str) -> LrsUnavailable:
    status = response.status_code
    retry_after = retry_after_seconds(response.headers.get("Retry-After", ""))
    if status in (401, 403):
        reason = f"the LRS refused the tool's credentials (HTTP {status}): {reason}"
    else:
        reason = f"HTTP {status}: {reason}"
    return LrsUnavailable(reason, retry_after)
