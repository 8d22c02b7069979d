"""Access tokens for LTI Advantage services (AGS, NRPS), by the client-credentials grant.

The tool proves who it is with a JWT signed by its active key (private_key_jwt),
and caches each token per registration and scope set until shortly before it
expires.  Moodle answers with JSON labelled text/html, so the body is parsed by
content, not by header.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable

import requests
from sqlalchemy.orm import Session

from lti.tool_keys import sign_jwt
from outbound.delivery import DeliveryFailed, failure_from_status
from storage import PlatformRegistration

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300
EXPIRY_MARGIN = 30  # renew this many seconds before the platform says it expires


class ServiceTokens:
    def __init__(self, http: requests.Session, clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self._clock = clock
        self._cache: dict[tuple[int, frozenset[str]], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(
        self, session: Session, registration: PlatformRegistration, scopes: Iterable[str]
    ) -> str:
        key = (registration.id, frozenset(scopes))
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[1] > self._clock():
                return cached[0]
        access_token, lifetime = self._request(session, registration, sorted(key[1]))
        with self._lock:
            self._cache[key] = (access_token, self._clock() + max(0, lifetime - EXPIRY_MARGIN))
        return access_token

    def forget(self, registration_id: int) -> None:
        """Drop cached tokens, e.g. after the platform said one is no longer valid."""
        with self._lock:
            for key in [k for k in self._cache if k[0] == registration_id]:
                del self._cache[key]

    def _request(
        self, session: Session, registration: PlatformRegistration, scopes: list[str]
    ) -> tuple[str, float]:
        now = int(self._clock())
        assertion = sign_jwt(
            session,
            {
                "iss": registration.client_id,
                "sub": registration.client_id,
                "aud": registration.auth_audience or registration.auth_token_url,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
                "jti": str(uuid.uuid4()),
            },
        )
        try:
            response = self._http.post(
                registration.auth_token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": CLIENT_ASSERTION_TYPE,
                    "client_assertion": assertion,
                    "scope": " ".join(scopes),
                },
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as error:
            raise DeliveryFailed(f"token endpoint unreachable: {error}", retryable=True) from error
        if response.status_code != 200:
            raise failure_from_status(
                response.status_code, response.text, response.headers.get("Retry-After")
            )
        try:
            body = json.loads(response.text)
            return str(body["access_token"]), float(body.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError) as error:
            raise DeliveryFailed(
                f"token endpoint answered without a token: {response.text[:200]}", retryable=True
            ) from error
