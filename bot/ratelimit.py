"""A sliding-window limit of events per key (form submissions per client address)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def hit(self, key: str) -> float:
        """Count one event; 0 when allowed, else the seconds until one would be."""
        if self._limit <= 0:
            return 0.0
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return events[0] + self._window - now
        events.append(now)
        if len(self._events) > 10_000:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        # Bounded memory under many addresses: drop keys whose window has emptied.
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self._window]:
            del self._events[key]
