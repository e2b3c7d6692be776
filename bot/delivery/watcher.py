"""The SLA watcher: every `HIB2B_WATCH_INTERVAL` it finds the tickets whose next reminder is due
(an indexed query on `sla_next_at`), records each reminder and queues it in one transaction.

Recording first, under a unique key per clock, generation and stage, inside `BEGIN IMMEDIATE`,
is what makes a reminder go out at most once across restarts, overlapping passes and several
processes on one database. After downtime only the most advanced stage of a clock is sent; the
earlier ones are recorded as passed over. A pass does a fixed number of statements however many
tickets are due (batched), so it stays short while it holds the write lock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.delivery.metrics import Metrics
from bot.delivery.supervisor import Worker
from bot.domain import clocks
from bot.domain import deliveries as queued
from store import outbox as queue
from store import sla as store
from store import team as team_store
from store.db import Database, to_db

log = logging.getLogger("hib2b.watch")
BATCH = 500
CATCH_UP_BATCH = 100  # ~10 ms of write lock a pass


async def watch_once(
    db: Database, now: datetime, batch: int = BATCH, leads: tuple[str, ...] = ()
) -> int:
    """One pass over at most `batch` due tickets; returns how many reminders it queued."""
    return (await _pass(db, now, batch, leads))[0]


async def catch_up(
    db: Database,
    now: datetime,
    batch: int = CATCH_UP_BATCH,
    leads: tuple[str, ...] = (),
    overdue: list[int] | None = None,
) -> int:
    """Passes until nothing more is due (after downtime, thousands may be): each in its own
    short transaction (milliseconds), so technicians' commands wait at most one of them.
    Returns the reminders queued."""
    queued = 0
    while True:
        count, looked = await _pass(db, now, batch, leads, overdue)
        queued += count
        if looked < batch:
            return queued
        await asyncio.sleep(0)


async def _pass(
    db: Database,
    now: datetime,
    batch: int,
    configured: tuple[str, ...] = (),
    overdue: list[int] | None = None,
) -> tuple[int, int]:
    """(reminders queued, due tickets looked at). At `vencido`, each lead (those configured
    and those the team added) also gets a DM."""
    leads: list[str] | None = None
    async with db.transaction() as conn:
        tickets = await store.due_tickets(conn, now, batch)
        recorded = await store.recorded_for(conn, [t.number for t in tickets])
        records, deliveries, next_at = [], [], []
        for ticket in tickets:
            seen = recorded[ticket.number]
            for reminder in clocks.due_reminders(ticket, seen, now):
                for stage in (*reminder.passed_over, reminder.stage):
                    sent = stage == reminder.stage
                    records.append(
                        (
                            ticket.number,
                            reminder.clock,
                            reminder.gen,
                            stage,
                            to_db(now),
                            int(sent),
                        )
                    )
                    seen.add((reminder.clock, reminder.gen, stage))
                deliveries.append(
                    queued.reminder(ticket.number, reminder.clock, reminder.gen, reminder.stage)
                )
                if reminder.stage == clocks.DUE:
                    if overdue is not None:
                        overdue.append(ticket.number)
                    if leads is None:
                        leads = await team_store.leads_in(conn, configured)
                    deliveries += [
                        queued.lead_alert(ticket.number, reminder.clock, reminder.gen, lead)
                        for lead in leads
                    ]
            next_at.append((clocks.next_reminder_at(ticket, seen), ticket.number))
        await store.record_many(conn, records)
        await queue.enqueue_many(conn, deliveries, now)
        await store.set_next_many(conn, next_at)
    if deliveries:
        log.info("%d SLA reminders queued", len(deliveries))
    return len(deliveries), len(tickets)


async def run(
    db: Database,
    now: Callable[[], datetime],
    interval_s: float,
    wake: Callable[[], None],
    worker: Worker,
    metrics: Metrics | None = None,
    leads: tuple[str, ...] = (),
    escalate: Callable[[list[int]], Awaitable[None]] | None = None,
) -> None:
    """The watcher's worker: every `interval_s`, everything that is due, until the service
    stops."""
    passes = (metrics or Metrics()).watcher_pass
    while True:
        with passes.time():
            overdue: list[int] = []
            queued = await catch_up(db, now(), leads=leads, overdue=overdue)
        if queued:
            wake()
        if overdue and escalate is not None:
            # After its transaction: each move is a change of its own (thread, card, audit).
            await escalate(overdue)
        worker.ok()
        await asyncio.sleep(interval_s)
