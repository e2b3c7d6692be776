"""The SLA watcher: every `HIB2B_WATCH_INTERVAL` it finds the tickets whose next reminder is due
(an indexed query on `sla_next_at`), records each reminder and queues it in one transaction.

Recording first, under a unique key per clock, generation and stage, is what makes a reminder go
out at most once across restarts, overlapping passes and several processes on one database.
After downtime only the most advanced stage of a clock is sent; the earlier ones are recorded as
passed over."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot import clocks
from bot.deliveries import REMINDER
from bot.tickets import card_key
from store import outbox as queue
from store import sla as store
from store.db import Database
from store.outbox import NewDelivery

log = logging.getLogger("hib2b.watch")
BATCH = 500


async def watch_once(db: Database, now: datetime) -> int:
    """One pass; returns how many reminders it queued."""
    queued = 0
    async with db.transaction() as conn:
        for ticket in await store.due_tickets(conn, now, BATCH):
            recorded = await store.recorded(conn, ticket.number)
            for reminder in clocks.due_reminders(ticket, recorded, now):
                for stage in reminder.passed_over:
                    await store.record(
                        conn, ticket.number, reminder.clock, reminder.gen, stage, now, sent=False
                    )
                    recorded.add((reminder.clock, reminder.gen, stage))
                if await store.record(
                    conn,
                    ticket.number,
                    reminder.clock,
                    reminder.gen,
                    reminder.stage,
                    now,
                    sent=True,
                ):
                    key = (
                        f"hd-{ticket.number}:ping:{reminder.clock}:{reminder.gen}:{reminder.stage}"
                    )
                    await queue.enqueue(
                        conn,
                        NewDelivery(
                            key,
                            "slack",
                            REMINDER,
                            ticket.number,
                            {"clock": reminder.clock, "gen": reminder.gen, "stage": reminder.stage},
                            after=card_key(ticket.number),
                        ),
                        now,
                    )
                    queued += 1
                recorded.add((reminder.clock, reminder.gen, reminder.stage))
            await store.set_next(conn, ticket.number, clocks.next_reminder_at(ticket, recorded))
    if queued:
        log.info("%d SLA reminders queued", queued)
    return queued


async def run(
    db: Database, now: Callable[[], datetime], interval_s: float, wake: Callable[[], None]
) -> None:
    while True:
        if await watch_once(db, now()):
            wake()
        await asyncio.sleep(interval_s)
