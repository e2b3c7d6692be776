"""Delivery of the queued Slack posts and emails: at least once, with retry, backoff and jitter.

One worker per lane (`slack`, `email`), so a dead SMTP server never holds up the channel and
Slack's rate limit never holds up email. A worker takes the oldest due row, marks it `sending`
(committed), calls the lane's handler, then records the result in one transaction with whatever
the handler learned (the card's ts on the ticket). A crash in between leaves the row `sending`;
at the next start it goes back to the queue with its attempt count, which tells the handler that
the earlier try may have arrived and it must look before sending again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.failures import PermanentFailure, TemporaryFailure
from store import outbox as queue
from store.db import Database
from store.models import Delivery

log = logging.getLogger("hib2b.outbox")

LANES = ("slack", "email")
IDLE_POLL_S = 2.0  # also picks up rows queued by another process (the CLI's retries)


@dataclass(frozen=True)
class Delivered:
    result: str  # what to remember: a Slack ts, where an email went
    record: Callable[[aiosqlite.Connection], Awaitable[None]] | None = None


Handler = Callable[[Delivery], Awaitable[Delivered]]


def retry_delay(
    attempts: int,
    base: float,
    cap: float,
    retry_after: float | None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next try after `attempts` failed ones.

    Exponential with "equal jitter" (half fixed, half random) so many rows failing together do
    not come back together; a server's `Retry-After` is honoured as the floor.
    """
    exponential = min(cap, base * 2 ** max(attempts - 1, 0))
    delay = exponential / 2 + rand() * exponential / 2
    if retry_after is not None:
        delay = max(retry_after, 0.0) + rand() * min(base, 1.0)
    return delay


class Outbox:
    def __init__(
        self,
        db: Database,
        handlers: dict[str, Handler],
        now: Callable[[], datetime],
        *,
        retry_base: timedelta,
        retry_max: timedelta,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._db = db
        self._handlers = handlers
        self._now = now
        self._base = retry_base.total_seconds()
        self._cap = retry_max.total_seconds()
        self._rand = rand
        self._wakeups = {lane: asyncio.Event() for lane in LANES}
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self, lanes: Iterable[str] = LANES) -> None:
        for lane in lanes:
            self._wakeups[lane].set()

    async def start(self) -> None:
        released = await queue.release_inflight(self._db)
        if released:
            log.warning("%d deliveries were in flight at the last stop; retrying them", released)
        self._tasks = [
            asyncio.create_task(self._run(lane), name=f"outbox-{lane}") for lane in LANES
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _run(self, lane: str) -> None:
        wakeup = self._wakeups[lane]
        while True:
            wakeup.clear()
            if await self.deliver_one(lane):
                continue
            due = await queue.next_due_at(self._db, lane)
            wait = IDLE_POLL_S
            if due is not None:
                wait = min(wait, max((due - self._now()).total_seconds(), 0.0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=wait)

    async def deliver_one(self, lane: str) -> bool:
        """Try the oldest due delivery of `lane`; False when none is due."""
        item = await queue.claim_next(self._db, lane, self._now())
        if item is None:
            return False
        handler = self._handlers[item.kind]
        try:
            delivered = await handler(item)
        except TemporaryFailure as failure:
            delay = retry_delay(
                item.attempts, self._base, self._cap, failure.retry_after, self._rand
            )
            log.warning(
                "%s: %s; attempt %d, next in %.1fs", item.key, failure.reason, item.attempts, delay
            )
            await queue.reschedule(
                self._db, item.id, self._now() + timedelta(seconds=delay), failure.reason
            )
            return True
        except PermanentFailure as failure:
            log.error(
                "%s failed for good: %s (fix it, then: hib2b entregas reintentar)",
                item.key,
                failure.reason,
            )
            await queue.mark_failed(self._db, item.id, failure.reason)
            return True
        except Exception as error:
            # A bug, not the network: retrying will not cure it. Recorded on the row (visible in
            # /healthz and `hib2b entregas`) so an operator retries it once fixed.
            log.exception("%s: unexpected error", item.key)
            await queue.mark_failed(self._db, item.id, f"error: {type(error).__name__}: {error}")
            return True
        async with self._db.transaction() as conn:
            if delivered.record is not None:
                await delivered.record(conn)
            await queue.mark_done(conn, item.id, delivered.result, self._now())
        log.info("%s delivered (%s)", item.key, delivered.result)
        return True
