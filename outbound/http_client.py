"""The one outbound HTTP client setup: timeouts always, retries for idempotent calls."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "Kompetenslyft/0.1 (+https://github.com/kompetenslyft)"


class TimeoutSession(requests.Session):
    """A session whose every request has a timeout, so no call can hang a worker."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, **kwargs)


def make_http_session(timeout: float = 5.0, retries: int = 2) -> requests.Session:
    session = TimeoutSession(timeout)
    retry = Retry(
        total=retries,
        backoff_factor=0.2,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
