"""Platform public keys (JWKS), cached per process with a refetch on an unknown kid.

A platform rotating its key sends a kid the cache has not seen; fetching its
JWKS again then is right.  A stream of made-up kids must not turn the tool
into a fetch amplifier, so refetches are rate-limited per URL and only one
fetch per URL runs at a time (other requests wait for its result).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from lti.errors import LaunchRejected

MAX_JWKS_BYTES = 256 * 1024


@dataclass
class _Entry:
    keys: dict[str, dict]
    fetched_at: float
    # When a kid we did not know last made us fetch again; limits those refetches.
    refetched_for_kid_at: float = float("-inf")


class PlatformKeyCache:
    def __init__(
        self,
        http: requests.Session,
        *,
        max_age: float = 3600,
        min_refetch_interval: float = 30,
        timeout: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._max_age = max_age
        self._min_refetch_interval = min_refetch_interval
        self._timeout = timeout
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def key(self, jwks_url: str, kid: str) -> dict:
        """The JWK with this kid from the platform's key set, or LaunchRejected('unknown_kid')."""
        entry = self._entries.get(jwks_url)
        if entry and kid in entry.keys and not self._expired(entry):
            return entry.keys[kid]
        with self._lock(jwks_url):
            entry = self._entries.get(jwks_url)  # another thread may have just fetched
            if entry is None or self._expired(entry):
                entry = self._fetch(jwks_url, stale=entry)
            elif kid not in entry.keys and self._may_refetch(entry):
                entry = self._fetch(jwks_url, stale=entry)
                entry.refetched_for_kid_at = self._clock()
            if kid in entry.keys:
                return entry.keys[kid]
        raise LaunchRejected("unknown_kid", f"kid {kid!r} is not in {jwks_url}")

    def forget(self, jwks_url: str | None = None) -> None:
        """Drop one platform's cached keys, or every platform's."""
        if jwks_url is None:
            self._entries.clear()
        else:
            self._entries.pop(jwks_url, None)

    def _expired(self, entry: _Entry) -> bool:
        return self._clock() - entry.fetched_at >= self._max_age

    def _may_refetch(self, entry: _Entry) -> bool:
        return self._clock() - entry.refetched_for_kid_at >= self._min_refetch_interval

    def _lock(self, url: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(url, threading.Lock())

    def _fetch(self, url: str, stale: _Entry | None) -> _Entry:
        try:
            response = self._http.get(url, timeout=self._timeout)
            response.raise_for_status()
            if len(response.content) > MAX_JWKS_BYTES:
                raise ValueError("key set too large")
            keys = {
                key["kid"]: key
                for key in response.json()["keys"]
                if isinstance(key, dict) and key.get("kid")
            }
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            if stale is not None:
                # Keep serving the keys we know while the platform is briefly down,
                # and try again once the refetch interval has passed.
                stale.fetched_at = self._clock() - self._max_age + self._min_refetch_interval
                stale.refetched_for_kid_at = self._clock()
                return stale
            raise LaunchRejected("platform_keys_unavailable", f"{url}: {error}") from error
        entry = _Entry(keys=keys, fetched_at=self._clock())
        if stale is not None:
            entry.refetched_for_kid_at = stale.refetched_for_kid_at
        self._entries[url] = entry
        return entry
