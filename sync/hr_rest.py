"""HR competence records over REST/JSON: the contract in docs/hr-competence-records.openapi.yaml.

A delivery (one completion × one HR target) is POSTed to
`<url>/competence-records` with its records, or several deliveries at once to
`<url>/competence-records/batch` (the target's `mode`).  Every request:

- authenticates with an OAuth2 client-credentials token (fetched from the
  target's token endpoint and kept until shortly before it expires) or with an
  API key header;
- is signed: `X-Kompetenslyft-Signature: sha256=<hex>` is HMAC-SHA256 with the
  target's HMAC key over `<X-Kompetenslyft-Timestamp>.<body>`;
- carries an `Idempotency-Key`: the delivery key (`<target id>:<event id>`),
  or for a batch a hash of its items' keys, each item carrying its own key.
  The body of a delivery never changes, so a resend after a crash is answered
  200 (already stored) and stored once.

HR's answers map onto the outbox: 201/200 delivered; 400 (an invalid record)
and 409 (the key was used for another body) dead-lettered with HR's reason;
401/403, 429 (with Retry-After), 5xx and no answer leave the target
unavailable for now, and the deliveries are tried again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass

import requests
from sqlalchemy.orm import Session

from outbound.delivery import DeliveryFailed
from storage.completions import SyncTarget
from storage.lrs import CredentialsUnavailable
from storage.outbox import ClaimedDelivery
from sync.hr_delivery import BatchOutcome
from sync.hr_records import HR_REST, RecordSource, delivery_key
from sync.target_secrets import secrets_of

SIGNATURE_HEADER = "X-Kompetenslyft-Signature"
TIMESTAMP_HEADER = "X-Kompetenslyft-Timestamp"
DEFAULT_API_KEY_HEADER = "X-API-Key"
TOKEN_MARGIN_SECONDS = 30


def body_bytes(document: dict) -> bytes:
    """The same document always gives the same bytes (what idempotency compares)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(hmac_key: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(hmac_key.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def batch_idempotency_key(keys: list[str]) -> str:
    return "batch-" + hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


@dataclass
class _Token:
    value: str
    expires_at: float


class HrRestClient:
    """Signed, authenticated requests to one HR API; OAuth2 tokens cached per client."""

    def __init__(self, http: requests.Session, clock=time.time) -> None:
        self.http = http
        self.clock = clock
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._lock = threading.Lock()

    def post(self, target: SyncTarget, secrets: dict, path: str, key: str, document: dict):
        """POST and return the response; DeliveryFailed(retryable) when there is no answer."""
        settings = target.settings or {}
        body = body_bytes(document)
        url = settings["url"].rstrip("/") + path
        for attempt in (1, 2):
            timestamp = str(int(self.clock()))
            headers = {
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: signature(secrets.get("hmac_key", ""), timestamp, body),
                **self._auth_headers(settings, secrets),
            }
            try:
                response = self.http.post(url, data=body, headers=headers)
            except requests.RequestException as error:
                raise DeliveryFailed(f"HR API unavailable: {error}", retryable=True) from None
            if response.status_code == 401 and attempt == 1 and settings.get("auth") == "oauth2":
                self._forget_token(settings)  # revoked or expired early: one fresh token
                continue
            return response
        return response

    def _auth_headers(self, settings: dict, secrets: dict) -> dict[str, str]:
        if settings.get("auth") == "oauth2":
            return {"Authorization": f"Bearer {self._token(settings, secrets)}"}
        if secrets.get("api_key"):
            return {settings.get("api_key_header") or DEFAULT_API_KEY_HEADER: secrets["api_key"]}
        return {}

    def _token(self, settings: dict, secrets: dict) -> str:
        cache_key = (settings["token_url"], settings["client_id"])
        with self._lock:
            token = self._tokens.get(cache_key)
            if token is not None and token.expires_at > self.clock():
                return token.value
        form = {"grant_type": "client_credentials"}
        if settings.get("scope"):
            form["scope"] = settings["scope"]
        try:
            response = self.http.post(
                settings["token_url"],
                data=form,
                auth=(settings["client_id"], secrets.get("client_secret", "")),
            )
        except requests.RequestException as error:
            raise DeliveryFailed(
                f"HR token endpoint unavailable: {error}", retryable=True
            ) from None
        if response.status_code != 200:
            raise DeliveryFailed(
                f"HR token endpoint answered {response.status_code}: {response.text[:300]}",
                retryable=True,
                retry_after=_retry_after(response),
            )
        try:
            answer = response.json()
            value = answer["access_token"]
            lifetime = float(answer.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise DeliveryFailed(
                "HR token endpoint answered without an access_token", retryable=True
            ) from None
        with self._lock:
            self._tokens[cache_key] = _Token(
                value, self.clock() + max(0.0, lifetime - TOKEN_MARGIN_SECONDS)
            )
        return value

    def _forget_token(self, settings: dict) -> None:
        with self._lock:
            self._tokens.pop((settings.get("token_url"), settings.get("client_id")), None)


def _retry_after(response: requests.Response) -> float | None:
    value = (response.headers.get("Retry-After") or "").strip()
    return float(value) if value.isdigit() else None


def _problem(response: requests.Response) -> str:
    try:
        document = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(document, dict):
        return str(document.get("detail") or document.get("title") or document)[:500]
    return str(document)[:500]


def failure_of(response: requests.Response) -> DeliveryFailed:
    """HR's refusal of a request: retryable unless the record itself is at fault."""
    status = response.status_code
    reason = f"HR answered {status}: {_problem(response)}"
    if status == 409:
        return DeliveryFailed(
            f"HR holds a different record under this idempotency key ({_problem(response)})",
            retryable=False,
        )
    if status in (401, 403, 408, 425, 429) or status >= 500:
        return DeliveryFailed(reason, retryable=True, retry_after=_retry_after(response))
    return DeliveryFailed(reason, retryable=False)


class HrRestSender:
    """The `hr.rest` sender: one delivery a request, or batches (the target's `mode`)."""

    target = HR_REST

    def __init__(self, client: HrRestClient, secret_key: str) -> None:
        self.client = client
        self.secret_key = secret_key

    def __call__(self, session: Session, payload: dict) -> None:
        """One delivery, as the outbox dispatcher sends it (sync.dispatcher.Sender)."""
        target = session.get(SyncTarget, payload["sync_target_id"])
        if target is None or not target.enabled:
            raise DeliveryFailed("the HR target was removed or switched off", retryable=False)
        key = delivery_key(target.id, payload["completion_event_id"])
        records = RecordSource(session).records_of(target, payload, key)
        self._send_one(target, self._secrets(target), key, records)

    def _secrets(self, target: SyncTarget) -> dict:
        try:
            return secrets_of(target, self.secret_key)
        except CredentialsUnavailable as error:
            raise DeliveryFailed(f"HR API credentials: {error}", retryable=True) from None

    def _send_one(self, target, secrets, key: str, records) -> None:
        if not records:
            return  # nothing HR keeps (a completion that reached no competence level)
        document = {"records": [record.to_json() for record in records]}
        response = self.client.post(target, secrets, "/competence-records", key, document)
        if response.status_code not in (200, 201):
            raise failure_of(response)

    def send_batch(
        self, session: Session, target: SyncTarget, deliveries: list[ClaimedDelivery]
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        try:
            secrets = self._secrets(target)
        except DeliveryFailed as failed:
            outcome.unavailable, outcome.untried = failed, list(deliveries)
            return outcome
        source = RecordSource(session)
        source.preload([delivery.payload for delivery in deliveries])
        items = []
        for delivery in deliveries:
            try:
                records = source.records_of(target, delivery.payload, delivery.key)
            except DeliveryFailed as failed:
                outcome.refused.append((delivery, failed.reason))
                continue
            if records:
                items.append((delivery, records))
            else:
                outcome.delivered.append(delivery)
        if (target.settings or {}).get("mode") == "batch" and len(items) > 1:
            self._send_batch(target, secrets, items, outcome)
        else:
            self._send_singly(target, secrets, items, outcome)
        return outcome

    def _send_singly(self, target, secrets, items, outcome: BatchOutcome) -> None:
        for delivery, records in items:
            if outcome.unavailable is not None:
                outcome.untried.append(delivery)
                continue
            try:
                self._send_one(target, secrets, delivery.key, records)
            except DeliveryFailed as failed:
                if failed.retryable:
                    outcome.unavailable = failed
                    outcome.untried.append(delivery)
                else:
                    outcome.refused.append((delivery, failed.reason))
            else:
                outcome.delivered.append(delivery)

    def _send_batch(self, target, secrets, items, outcome: BatchOutcome) -> None:
        size = int((target.settings or {}).get("batch_size", 100))
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            if outcome.unavailable is not None:
                outcome.untried.extend(delivery for delivery, _ in chunk)
                continue
            document = {
                "items": [
                    {
                        "idempotency_key": delivery.key,
                        "records": [record.to_json() for record in records],
                    }
                    for delivery, records in chunk
                ]
            }
            key = batch_idempotency_key([delivery.key for delivery, _ in chunk])
            try:
                response = self.client.post(
                    target, secrets, "/competence-records/batch", key, document
                )
            except DeliveryFailed as failed:
                outcome.unavailable = failed
                outcome.untried.extend(delivery for delivery, _ in chunk)
                continue
            if response.status_code in (400, 409):
                # The batch as a whole was refused: one by one, HR says which item is at fault.
                self._send_singly(target, secrets, chunk, outcome)
            elif response.status_code != 200:
                outcome.unavailable = failure_of(response)
                outcome.untried.extend(delivery for delivery, _ in chunk)
            else:
                self._settle_items(response, chunk, outcome)

    def _settle_items(self, response, chunk, outcome: BatchOutcome) -> None:
        try:
            results = {result["idempotency_key"]: result for result in response.json()["results"]}
        except (ValueError, KeyError, TypeError):
            results = {}
        for delivery, _ in chunk:
            result = results.get(delivery.key)
            status = result.get("status") if result else None
            if status in ("created", "duplicate"):
                outcome.delivered.append(delivery)
            elif status == "conflict":
                outcome.refused.append(
                    (delivery, "HR holds a different record under this idempotency key")
                )
            elif status == "invalid":
                outcome.refused.append(
                    (delivery, f"HR refused the record: {result.get('detail', '')}"[:2000])
                )
            else:
                outcome.retry.append(
                    (delivery, DeliveryFailed("HR's batch answer left it out", retryable=True))
                )
