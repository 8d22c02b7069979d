"""How a sender tells the outbox worker what happened to a delivery."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """A send that did not succeed; `retryable` decides between a later retry and dead letter."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


def failure_from_status(status: int, body: str, retry_after: str | None = None) -> DeliveryFailed:
    """Classify an HTTP answer: 5xx, 408 and 429 may pass; other 4xx will not by retrying."""
    retryable = status >= 500 or status in (408, 425, 429)
    delay = None
    if retry_after and retry_after.strip().isdigit():
        delay = float(retry_after.strip())
    return DeliveryFailed(f"HTTP {status}: {body[:500]}", retryable=retryable, retry_after=delay)
