"""How an outbound adapter tells the delivery queue what went wrong."""

from __future__ import annotations


class DeliveryFailure(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later: a timeout, a 5xx, a rate limit (with its `Retry-After`)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(DeliveryFailure):
    """Retrying will not help until someone fixes something (a setting, the app's channel)."""
