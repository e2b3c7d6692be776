"""One supervisor for every background worker (delivery lanes, SLA watcher, janitor, mailbox
reader, storage heartbeat).

A worker is a coroutine that runs until it is cancelled and calls `Worker.ok()` after each unit of
work it finishes. Whatever it raises (a locked or full database, a bug, a bad row) is logged with
its traceback, counted, and the worker starts again after a pause that doubles from
`HIB2B_RESTART_BASE` to 60 s; a worker that reported success since its last start begins again at
the shortest pause. Nothing a worker meets ends it for good while the service runs.

`stop()` always ends. Workers started as `graceful` (the delivery lanes) are first given a
moment to finish what they are doing and end by themselves — an email handed to SMTP is then also
recorded as sent, so it is not sent again after the restart; then every worker still running is
cancelled and waited for a bounded time. A worker that ignores the cancellation is named in the
log and left behind, so the process can still exit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("hib2b.supervisor")

MAX_PAUSE_S = 60.0
RECENT_FAILURE_S = 300.0  # a failure this recent keeps the service `degraded`

RUNNING, RESTARTING, STOPPED = "running", "restarting", "stopped"


@dataclass
class WorkerState:
    name: str
    started_at: float
    stale_after_s: float | None = None  # no success for this long counts as a failure
    state: str = RUNNING
    restarts: int = 0
    last_ok_at: float | None = None
    last_error: str = ""
    last_failure_at: float | None = None


@dataclass(frozen=True)
class WorkerView:
    """A worker as health reports show it (ages in seconds, measured by one clock)."""

    name: str
    state: str
    restarts: int
    last_ok_age_s: float | None
    last_failure_age_s: float | None
    stale: bool
    last_error: str


class Worker:
    """What a worker body holds: a way to say a unit of work went well."""

    def __init__(self, state: WorkerState, clock: Callable[[], float]) -> None:
        self._state = state
        self._clock = clock

    @property
    def name(self) -> str:
        return self._state.name

    def ok(self) -> None:
        self._state.last_ok_at = self._clock()


Body = Callable[[Worker], Awaitable[None]]


class Supervisor:
    def __init__(
        self,
        *,
        restart_base_s: float = 1.0,
        restart_max_s: float = MAX_PAUSE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = restart_base_s
        self._max = max(restart_max_s, restart_base_s)
        self._clock = clock
        self._states: dict[str, WorkerState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._graceful: set[str] = set()
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(
        self,
        name: str,
        body: Body,
        *,
        stale_after_s: float | None = None,
        graceful: bool = False,
    ) -> None:
        """Run `body` until `stop`. `graceful`: it ends by itself soon after `stopping` is set
        (it looks between units of work), and is cancelled only if it does not."""
        if name in self._tasks:
            raise ValueError(f"worker {name!r} already runs")
        if graceful:
            self._graceful.add(name)
        state = WorkerState(name, self._clock(), stale_after_s)
        self._states[name] = state
        self._tasks[name] = asyncio.create_task(self._keep(state, body), name=f"worker-{name}")

    async def _keep(self, state: WorkerState, body: Body) -> None:
        worker = Worker(state, self._clock)
        pause = self._base
        while not self._stopping.is_set():
            state.state = RUNNING
            began = self._clock()
            try:
                await body(worker)
                if self._stopping.is_set():
                    break  # a graceful worker ending because the service stops
                raise RuntimeError("the worker returned; workers run until the service stops")
            except asyncio.CancelledError as cancelled:
                task = asyncio.current_task()
                if self._stopping.is_set() or (task is not None and task.cancelling()):
                    raise
                # A cancellation nobody asked for (a library's own future): a failure like any.
                self._failed(state, cancelled, pause)
            except Exception as error:
                # The one place that catches everything a worker raises: logged with its
                # traceback, counted, shown in /healthz and `hib2b estado`, then restarted.
                self._failed(state, error, pause)
            if state.last_ok_at is not None and state.last_ok_at >= began:
                pause = self._base  # it did some good work before failing: not a crash loop
            if await self._stopped_within(pause):
                break
            pause = min(pause * 2, self._max)
        state.state = STOPPED

    def _failed(self, state: WorkerState, error: BaseException, pause: float) -> None:
        state.restarts += 1
        state.last_error = f"{type(error).__name__}: {error}"
        state.last_failure_at = self._clock()
        state.state = RESTARTING
        log.error(
            "worker %s failed (restart %d in %.1fs)",
            state.name,
            state.restarts,
            pause,
            exc_info=error,
        )

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds` or until stop; True when stopping."""
        try:
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        except TimeoutError:
            return False
        return True

    async def stop(self, wait_s: float = 3.0, finish_s: float = 0.0) -> list[str]:
        """Let graceful workers finish for at most `finish_s`, then cancel every worker still
        running and wait at most `wait_s`; returns the ones that did not end."""
        self._stopping.set()
        polite = [task for name, task in self._tasks.items() if name in self._graceful]
        if polite and finish_s > 0:
            await asyncio.wait(polite, timeout=finish_s)
        tasks = [task for task in self._tasks.values() if not task.done()]
        for task in tasks:
            task.cancel()
        if not tasks:
            self._mark_stopped([])
            return []
        _, pending = await asyncio.wait(tasks, timeout=wait_s)
        stuck = sorted(task.get_name() for task in pending)
        if stuck:
            log.error("workers did not stop within %.0fs: %s", wait_s, ", ".join(stuck))
        self._mark_stopped(stuck)
        return stuck

    def _mark_stopped(self, stuck: list[str]) -> None:
        for state in self._states.values():
            if state.state != STOPPED and f"worker-{state.name}" not in stuck:
                state.state = STOPPED

    def views(self) -> list[WorkerView]:
        now = self._clock()
        return [view(state, now) for state in self._states.values()]


def view(state: WorkerState, now: float) -> WorkerView:
    since_ok = now - (state.last_ok_at if state.last_ok_at is not None else state.started_at)
    return WorkerView(
        name=state.name,
        state=state.state,
        restarts=state.restarts,
        last_ok_age_s=round(now - state.last_ok_at, 1) if state.last_ok_at is not None else None,
        last_failure_age_s=(
            round(now - state.last_failure_at, 1) if state.last_failure_at is not None else None
        ),
        stale=state.stale_after_s is not None and since_ok > state.stale_after_s,
        last_error=state.last_error,
    )
