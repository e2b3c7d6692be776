"""The figures behind `/hib2b sla`: open tickets by status, severity and person, the clocks at
risk or past their deadline, and 7- and 30-day compliance. Reads only."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from bot.domain.clocks import SlaPolicy
from bot.domain.reports import SHOWN, Alert, Compliance, Report
from store import sla as store
from store.db import Database, from_db


async def gather(
    db: Database, policy: SlaPolicy, now: datetime, client: str | None = None
) -> Report:
    """The desk's state, or one client's (`client`: its key; its plan is `policy`)."""
    counts = await store.open_counts(db, client)
    breached_rows, breached_total, risk_rows, risk_total = await store.clock_alerts(
        db, now, SHOWN, client
    )

    def alert(row: dict) -> Alert:
        # Business time left (negative: overdue by), for the few that are shown.
        due = from_db(row["due"])
        elapsed = policy.calendar.elapsed
        left = elapsed(now, due) if due > now else -elapsed(due, now)
        return Alert(row["number"], row["clock"], due, row["assignee"], left)

    breached = [alert(row) for row in breached_rows]
    at_risk = [alert(row) for row in risk_rows]
    compliance = [await _compliance(db, policy, now, days, client) for days in (7, 30)]
    return Report(
        now,
        counts["status"],
        counts["severity"],
        counts["assignee"],
        at_risk,
        breached,
        compliance,
        at_risk_total=risk_total,
        breached_total=breached_total,
    )


async def _compliance(
    db: Database, policy: SlaPolicy, now: datetime, days: int, client: str | None
) -> Compliance:
    since = now - timedelta(days=days)
    contacts, on_time, before, median = await store.first_contact_stats(db, since, client)
    budgets = {
        severity: (target.total_seconds(), deadline.total_seconds())
        for severity, (target, deadline) in policy.resolution.items()
    }
    resolved, r_on_time, r_before, r_median = await store.resolution_stats(
        db, since, budgets, client
    )
    return Compliance(
        days=days,
        contacts=contacts,
        contacts_on_time=on_time,
        contacts_before_target=before,
        contact_median=_seconds(median),
        resolved=resolved,
        resolved_on_time=r_on_time,
        resolved_before_target=r_before,
        resolution_median=_seconds(r_median),
    )


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


class Reports:
    """The SLA report, computed at most once per `fresh_s` per client and shared by everyone
    who asks meanwhile: a lead repeating `/hib2b sla`, or twenty asking at once, costs one
    computation, not twenty, and nobody else's commands wait behind them. Any change to a
    ticket forgets it (`forget`), so what is shown is never older than the last change."""

    def __init__(self, fresh_s: float = 10.0) -> None:
        self.fresh_s = fresh_s
        self._made: dict[str | None, tuple[float, asyncio.Task[Report]]] = {}

    async def get(
        self, db: Database, policy: SlaPolicy, now: datetime, client: str | None = None
    ) -> Report:
        made = self._made.get(client)
        if made is not None:
            at, task = made
            if not task.done():
                return await asyncio.shield(task)  # one caller leaving must not cancel it
            if not task.cancelled() and task.exception() is None:
                report = task.result()
                if (
                    time.monotonic() - at < self.fresh_s
                    and timedelta(0) <= now - report.now < timedelta(seconds=self.fresh_s)
                ):
                    return report
        task = asyncio.create_task(gather(db, policy, now, client))
        # Its callers await it. If they all left before it failed, the failure is dropped here
        # (the next request computes again and meets it), not left "never retrieved".
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._made[client] = (time.monotonic(), task)
        return await asyncio.shield(task)

    def forget(self) -> None:
        """A ticket changed: the next report is computed afresh."""
        self._made.clear()
