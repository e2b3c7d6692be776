"""A sliding-window limit of events per key (form submissions per client address).

The cost of a hit is flat in the number of keys: keys are kept in the order of their last
event, so forgetting idle ones only ever looks at the oldest few (amortised O(1)), however wide
a flood of addresses is."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        # key → its events' times; ordered by each key's latest event, oldest first.
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._events)

    def hit(self, key: str) -> float:
        """Count one event; 0 when allowed, else the seconds until one would be."""
        if self._limit <= 0:
            return 0.0
        now = self._clock()
        self._forget_idle(now)
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return events[0] + self._window - now
        events.append(now)
        self._events.move_to_end(key)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        # Bounded memory: a key whose latest event left the window has nothing to remember.
        while self._events:
            key, events = next(iter(self._events.items()))
            if events and events[-1] > now - self._window:
                return
            del self._events[key]
