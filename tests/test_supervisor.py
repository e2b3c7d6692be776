"""The supervisor and the pure runtime rules: restarts with backoff, health, the rate limiter's
memory and the queue's delay after a server's Retry-After."""

from __future__ import annotations

import asyncio
import itertools
import math

from bot.delivery import health
from bot.delivery.queue import MAX_RETRY_AFTER_S, retry_delay
from bot.delivery.supervisor import RESTARTING, RUNNING, STOPPED, Supervisor, Worker, WorkerView
from bot.render import health as render_health
from handlers.ratelimit import RateLimiter


async def _until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def test_a_failing_worker_is_restarted_with_growing_pauses_and_counted() -> None:
    supervisor = Supervisor(restart_base_s=0.02, restart_max_s=0.08)
    runs: list[float] = []

    async def flaky(worker: Worker) -> None:
        runs.append(asyncio.get_running_loop().time())
        if len(runs) <= 4:
            raise OSError("database is locked")
        worker.ok()
        await asyncio.Event().wait()

    supervisor.start("lane", flaky)
    await _until(lambda: len(runs) == 5)
    [view] = supervisor.views()
    assert view.state == RUNNING and view.restarts == 4
    assert view.last_error == "OSError: database is locked" and view.last_ok_age_s is not None
    pauses = [b - a for a, b in itertools.pairwise(runs)]
    assert pauses[0] >= 0.02 and pauses[1] >= 0.04 and pauses[3] >= 0.08
    assert pauses[3] < 0.08 * 3  # capped, not 0.16
    assert await supervisor.stop() == []
    assert supervisor.views()[0].state == STOPPED


async def test_a_worker_that_returns_is_started_again() -> None:
    supervisor = Supervisor(restart_base_s=0.01)
    starts: list[int] = []

    async def quits(worker: Worker) -> None:
        starts.append(1)

    supervisor.start("janitor", quits)
    await _until(lambda: len(starts) >= 3)
    view = supervisor.views()[0]
    assert view.restarts >= 2 and "returned" in view.last_error
    await supervisor.stop()


async def test_stop_always_ends_even_when_a_worker_ignores_cancellation() -> None:
    supervisor = Supervisor()
    release = asyncio.Event()

    async def stubborn(worker: Worker) -> None:
        while not release.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                continue  # a buggy worker that swallows the cancellation

    async def polite(worker: Worker) -> None:
        await asyncio.sleep(10)

    supervisor.start("stubborn", stubborn)
    supervisor.start("polite", polite)
    await asyncio.sleep(0)
    started = asyncio.get_running_loop().time()
    assert await supervisor.stop(wait_s=0.2) == ["worker-stubborn"]
    assert asyncio.get_running_loop().time() - started < 1.0
    release.set()


def _view(**changes: object) -> WorkerView:
    values: dict = {
        "name": "sla-watcher",
        "state": RUNNING,
        "restarts": 0,
        "last_ok_age_s": 1.0,
        "last_failure_age_s": None,
        "stale": False,
        "last_error": "",
    }
    values.update(changes)
    return WorkerView(**values)


def _snapshot(*workers: WorkerView, failed: int = 0, storage: str | None = None):
    return health.Snapshot(
        mode="local",
        workers=workers,
        deliveries={"pending": 0, "sending": 0, "done": 3, "failed": failed},
        oldest_waiting_s=0.0,
        storage_error=storage,
        failed_deliveries=({"id": 1, "key": "hd-1:card", "error": "x@y.mx", "attempts": 1},),
    )


def test_health_rules() -> None:
    assert health.status(_snapshot(_view())) == health.OK
    assert health.status(_snapshot(_view(state=RESTARTING))) == health.DEGRADED
    assert health.status(_snapshot(_view(last_failure_age_s=299.0))) == health.DEGRADED
    assert health.status(_snapshot(_view(last_failure_age_s=301.0, restarts=1))) == health.OK
    assert health.status(_snapshot(_view(stale=True))) == health.DEGRADED
    assert health.status(_snapshot(_view(), failed=1)) == health.DEGRADED
    assert health.status(_snapshot(_view(), storage="database or disk is full")) == health.FAILING
    assert health.ready(_snapshot(_view(last_failure_age_s=1.0)))
    assert not health.ready(_snapshot(_view(state=RESTARTING)))
    assert not health.ready(_snapshot(_view(), storage="disk I/O error"))


def test_public_health_has_no_error_texts() -> None:
    snapshot = _snapshot(_view(last_error="smtp 550 <ana@proveedor.mx> unknown"), failed=1)
    public = health.public(snapshot)
    assert "proveedor" not in str(public) and "x@y.mx" not in str(public)
    assert public["workers"]["sla-watcher"] == {
        "state": RUNNING,
        "restarts": 0,
        "last_ok_age_s": 1.0,
    }
    detailed = render_health.plain(health.details(snapshot))
    assert "ana@proveedor.mx" in detailed and "hd-1:card: x@y.mx" in detailed


def test_rate_limiter_forgets_idle_addresses() -> None:
    clock = [0.0]
    limiter = RateLimiter(3, 60.0, lambda: clock[0])
    for n in range(50_000):
        clock[0] = n * 0.001  # 50,000 addresses within the window
        assert limiter.hit(f"10.0.{n // 256}.{n % 256}") == 0.0
    assert len(limiter) == 50_000
    clock[0] = 200.0
    assert limiter.hit("203.0.113.9") == 0.0
    assert len(limiter) == 1  # everything idle was forgotten as time went on
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == 60.0


def test_a_huge_or_broken_retry_after_never_parks_a_delivery_forever() -> None:
    assert retry_delay(1, 2.0, 300.0, 10**12, rand=lambda: 0.0) == MAX_RETRY_AFTER_S
    assert retry_delay(1, 2.0, 300.0, math.inf, rand=lambda: 0.0) == 1.0
    assert retry_delay(1, 2.0, 300.0, math.nan, rand=lambda: 0.0) == 1.0
    assert retry_delay(10_000, 2.0, 300.0, None, rand=lambda: 1.0) == 300.0


async def test_a_graceful_worker_finishes_its_unit_of_work_before_the_stop() -> None:
    supervisor = Supervisor()
    finished: list[str] = []
    stop_asked = asyncio.Event()

    async def lane(worker: Worker) -> None:
        while not supervisor.stopping:
            await stop_asked.wait()
            await asyncio.sleep(0.05)  # an email being handed to SMTP
            finished.append("sent and recorded")

    async def watcher(worker: Worker) -> None:
        await asyncio.sleep(3600)

    supervisor.start("outbox-email", lane, graceful=True)
    supervisor.start("sla-watcher", watcher)
    await asyncio.sleep(0)
    stop_asked.set()
    assert await supervisor.stop(wait_s=1.0, finish_s=1.0) == []
    assert finished == ["sent and recorded"]
    assert {v.name: (v.state, v.restarts) for v in supervisor.views()} == {
        "outbox-email": (STOPPED, 0),
        "sla-watcher": (STOPPED, 0),
    }
