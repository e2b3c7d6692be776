"""What a Slack listener does after its ack: the change a click asks for, the whisper that
says how a modal went.

Bolt runs our listeners before it answers Slack (`process_before_response`), which spares
every request Bolt's 10 ms polling for the ack; so work that must not delay the answer (it
calls Slack, which may be slow) runs here instead, as tasks this edge owns: a failure is
logged with its traceback and counted (`hib2b_after_ack_failures_total` in /metrics), and the
service's stop lets the running ones finish for a bounded time before cancelling them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("hib2b.slack")


class AfterAck:
    def __init__(self, failed: Callable[[str], None]) -> None:
        self._running: set[asyncio.Task[None]] = set()
        self._failed = failed  # counts it where operators look (/metrics)

    def run(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.create_task(work, name=what)
        self._running.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._failed(task.get_name())
            log.error("after an ack, %s failed", task.get_name(), exc_info=error)

    async def stop(self, finish_s: float) -> None:
        """Give the running ones `finish_s` to end, then cancel and wait for the rest."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=finish_s)
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.wait(set(self._running), timeout=finish_s)
