"""Delivery of the queued Slack posts and emails: at least once, with retry, backoff and jitter.

One worker per lane (`slack`, `email`), run by the supervisor, so a dead SMTP server never holds
up the channel and Slack's rate limit never holds up email. A worker takes the oldest due row,
marks it `sending` (committed), calls the lane's handler, then records the result in one
transaction with whatever the handler learned (the card's ts on the ticket). A crash in between
leaves the row `sending`; when the lane starts again (after a restart of the service, or of the
lane by the supervisor) it goes back to the queue with its attempt count, which tells the
handler that the earlier try may have arrived and it must look before sending again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.delivery.failures import PermanentFailure, TemporaryFailure
from bot.delivery.metrics import Metrics
from bot.delivery.supervisor import Worker
from bot.domain.deliveries import REMINDER
from store import outbox as queue
from store.db import STORAGE_ERRNOS, Database, StorageUnavailable
from store.models import Delivery

log = logging.getLogger("hib2b.outbox")

LANES = ("slack", "email", "reports")
IDLE_POLL_S = 2.0  # also picks up rows queued by another process (the CLI's retries)
MAX_RETRY_AFTER_S = 3600.0  # a server asking for more is not believed past this


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
    not come back together; a server's `Retry-After` is honoured as the floor, up to an hour (a
    huge or nonsensical one must not park the row forever).
    """
    exponential = min(cap, base * 2 ** min(max(attempts - 1, 0), 64))
    delay = exponential / 2 + rand() * exponential / 2
    if retry_after is not None and math.isfinite(retry_after):
        delay = min(max(retry_after, 0.0), MAX_RETRY_AFTER_S) + rand() * min(base, 1.0)
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
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._metrics = metrics or Metrics()
        self._handlers = handlers
        self._now = now
        self._base = retry_base.total_seconds()
        self._cap = retry_max.total_seconds()
        self._rand = rand
        self._wakeups = {lane: asyncio.Event() for lane in LANES}
        self._stopping = False
        # A server's Retry-After is about the lane, not the row (Slack limits per channel and
        # method): nothing more is tried on the lane until then, so no retry storm.
        self._resume_at = {lane: 0.0 for lane in LANES}

    def wake(self, lanes: Iterable[str] = LANES) -> None:
        for lane in lanes:
            self._wakeups[lane].set()

    def stop(self) -> None:
        """Lanes end at their next look; the supervisor also cancels them."""
        self._stopping = True
        self.wake()

    async def run_lane(self, lane: str, worker: Worker) -> None:
        """A lane's worker: sends due deliveries until the service stops."""
        released = await queue.release_inflight(self._db, lane)
        if released:
            log.warning(
                "%s: %d deliveries were in flight when it last stopped; retrying them",
                lane,
                released,
            )
        wakeup = self._wakeups[lane]
        while not self._stopping:
            paused = self._resume_at[lane] - time.monotonic()
            if paused > 0:
                await asyncio.sleep(paused)  # cancelled like any wait when the service stops
                continue
            wakeup.clear()
            if await self.deliver_one(lane):
                worker.ok()
                continue
            worker.ok()
            due = await queue.next_due_at(self._db, lane)
            wait = IDLE_POLL_S
            if due is not None:
                wait = min(wait, max((due - self._now()).total_seconds(), 0.0))
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation that
            # stops the service, and this loop would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await wakeup.wait()

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
            if failure.retry_after is not None:
                self._resume_at[lane] = time.monotonic() + delay
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
        except (StorageUnavailable, sqlite3.OperationalError):
            # The database, not the row: the supervisor restarts the lane, which puts this row
            # back in the queue.
            raise
        except OSError as error:
            if error.errno not in STORAGE_ERRNOS:
                await queue.mark_failed(
                    self._db, item.id, f"error: {type(error).__name__}: {error}"
                )
                return True  # this row's own trouble (a file gone): it must not stop the lane
            raise
        except Exception as error:
            # A bug in rendering or sending this row: retrying will not cure it. Recorded on the
            # row (counted in /healthz, shown by `hib2b entregas`) for an operator to retry.
            log.exception("%s: unexpected error", item.key)
            await queue.mark_failed(self._db, item.id, f"error: {type(error).__name__}: {error}")
            return True
        async with self._db.transaction() as conn:
            if delivered.record is not None:
                await delivered.record(conn)
            await queue.mark_done(conn, item.id, delivered.result, self._now())
        log.info("%s delivered (%s)", item.key, delivered.result)
        self._metrics.delivered.labels(lane).inc()
        if item.kind == REMINDER:
            payload = item.payload
            self._metrics.reminders.labels(payload.get("clock", ""), payload.get("stage", "")).inc()
        return True
