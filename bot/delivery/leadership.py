"""The work one service of several does for the whole desk (the SLA watcher, the report
scheduler, the retention sweep, the mailbox): run only while this service leads
(`store.replicas.Presence`), stopped the moment it no longer does, taken up again when it
leads anew. On SQLite there is one service, always the leader."""

from __future__ import annotations

import asyncio
import contextlib

from bot.delivery.supervisor import Body, Worker
from store.replicas import Presence


class LeadLost(Exception):
    """This service no longer leads the desk: its duties stop (the supervisor restarts them to
    wait for the lead again)."""


def leader_only(presence: Presence | None, body: Body, every_s: float) -> Body:
    if presence is None:
        return body

    async def run(worker: Worker) -> None:
        while not presence.leading.is_set():
            worker.ok()  # waiting for the lead is this worker's healthy state on a follower
            changed = presence.changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every_s):
                    await changed.wait()
        duty = asyncio.ensure_future(body(worker))
        lost = asyncio.ensure_future(_until_lost(presence))
        try:
            await asyncio.wait({duty, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (duty, lost):
                task.cancel()
            # Both are ended before this returns: no task outlives the supervised one.
            await asyncio.wait({duty, lost})
        if duty.done() and not duty.cancelled():
            duty.result()  # its own failure, raised for the supervisor to log and restart
        raise LeadLost("this service no longer leads the desk")

    return run


async def _until_lost(presence: Presence) -> None:
    while presence.leading.is_set():
        await presence.changed.wait()
