"""The platform key cache: one fetch at a time, refetch on rotation, no amplification."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from lti.errors import LaunchRejected
from lti.platform_keys import PlatformKeyCache

URL = "https://moodle.example/mod/lti/certs.php"


class FakeResponse:
    def __init__(self, keys):
        self._keys = keys
        self.content = b"{}"

    def raise_for_status(self):
        """Always a 200 here; failures are simulated by raising in get()."""

    def json(self):
        return {"keys": [{"kid": kid, "kty": "RSA"} for kid in self._keys]}


class FakePlatformHttp:
    """Answers with the kids currently published; can be made to fail or to stall."""

    def __init__(self, *kids):
        self.kids = list(kids)
        self.calls = 0
        self.down = False
        self.stall: threading.Barrier | None = None

    def get(self, url, timeout):
        self.calls += 1
        if self.stall is not None:
            # Nobody else arriving breaks the barrier: the others waited for this fetch.
            with contextlib.suppress(threading.BrokenBarrierError):
                self.stall.wait(timeout=0.5)
        if self.down:
            raise requests.ConnectionError("platform down")
        return FakeResponse(self.kids)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_concurrent_requests_for_new_keys_cause_one_fetch(clock):
    http = FakePlatformHttp("k1")
    http.stall = threading.Barrier(8)  # would release only if 8 fetches ran at once
    cache = PlatformKeyCache(http, clock=clock)

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: cache.key(URL, "k1"), range(8)))

    assert http.calls == 1
    assert all(key["kid"] == "k1" for key in keys)


def test_known_keys_are_served_from_the_cache_until_they_age(clock):
    http = FakePlatformHttp("k1")
    cache = PlatformKeyCache(http, max_age=3600, clock=clock)
    cache.key(URL, "k1")
    clock.now += 3599
    cache.key(URL, "k1")
    assert http.calls == 1

    clock.now += 2
    cache.key(URL, "k1")
    assert http.calls == 2


def test_rotation_is_found_and_bogus_kids_are_rate_limited(clock):
    http = FakePlatformHttp("k1")
    cache = PlatformKeyCache(http, min_refetch_interval=30, clock=clock)
    cache.key(URL, "k1")

    http.kids = ["k2"]
    assert cache.key(URL, "k2")["kid"] == "k2"  # rotated: one refetch finds it
    assert http.calls == 2
    for _ in range(5):
        with pytest.raises(LaunchRejected, match="unknown_kid"):
            cache.key(URL, "bogus")
    assert http.calls == 2  # within the interval the rotation refetch counts
    clock.now += 30
    with pytest.raises(LaunchRejected, match="unknown_kid"):
        cache.key(URL, "bogus")
    assert http.calls == 3


def test_keys_already_known_survive_a_platform_outage(clock):
    http = FakePlatformHttp("k1")
    cache = PlatformKeyCache(http, max_age=60, clock=clock)
    cache.key(URL, "k1")
    http.down = True
    clock.now += 61

    assert cache.key(URL, "k1")["kid"] == "k1"


def test_an_unreachable_platform_without_cached_keys_is_reported(clock):
    http = FakePlatformHttp("k1")
    http.down = True

    with pytest.raises(LaunchRejected) as refused:
        PlatformKeyCache(http, clock=clock).key(URL, "k1")
    assert refused.value.reason == "platform_keys_unavailable"
