"""The weekly report's worker: at the scheduled moment (`HIB2B_REPORT_SCHEDULE`) it queues the
report of the week before for the support channel.

Each period is queued once: the period is recorded (`report_runs`) in the transaction that
queues it, so a restart, a second look or a service that was down at the scheduled moment (it
queues the latest period when it starts) never posts the same week twice. Only the latest
period is owed: after three weeks down, one report, not three."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.supervisor import Worker
from bot.domain import deliveries
from bot.domain.periods import Schedule
from store import outbox as queue
from store import reports
from store.db import Database

log = logging.getLogger("hib2b.reports")

LOOK_EVERY_S = 60.0  # also notices a clock set forward; the exact moment is slept to otherwise


def occasion(schedule: Schedule, local_now: datetime) -> str:
    """The name of the latest scheduled report at `local_now`: its period's first day."""
    return f"semana:{Schedule.period_of(schedule.latest(local_now)).since.isoformat()}"


async def queue_due(db: Database, schedule: Schedule, zone: ZoneInfo, now: datetime) -> str | None:
    """Queue the latest scheduled report unless it was queued before; returns its name when
    this call queued it."""
    local = now.astimezone(zone).replace(tzinfo=None)
    period = Schedule.period_of(schedule.latest(local))
    name = occasion(schedule, local)
    if await reports.was_queued(db, name):
        return None  # the usual answer: no write transaction every minute
    end = datetime.combine(period.until + timedelta(days=1), time(), zone)
    # A desk that had no ticket yet by then has nothing to report (a new install).
    worth = await reports.any_received_before(db, end)
    async with db.transaction() as conn:
        if not await reports.mark_queued(conn, name, now) or not worth:
            return None
        await queue.enqueue(conn, deliveries.report(name, period, None, deliveries.TO_CHANNEL), now)
    return name


async def run(
    db: Database,
    schedule: Schedule,
    zone_name: str,
    now: Callable[[], datetime],
    wake: Callable[[], None],
    worker: Worker,
) -> None:
    zone = ZoneInfo(zone_name)
    while True:
        queued = await queue_due(db, schedule, zone, now())
        if queued is not None:
            log.info("weekly report %s queued for the support channel", queued)
            wake()
        worker.ok()
        local = now().astimezone(zone).replace(tzinfo=None)
        until_next = (schedule.following(local) - local).total_seconds()
        await asyncio.sleep(min(max(until_next, 0.5), LOOK_EVERY_S))
