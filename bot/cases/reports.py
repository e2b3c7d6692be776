"""The figures behind `/hib2b sla`: open tickets by status, severity and person, the clocks at
risk or past their deadline, and 7- and 30-day compliance. Reads only."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.clocks import DUE, SlaPolicy, running_clocks
from bot.render.sla import Alert, Compliance, Report
from store import sla as store
from store.db import Database


async def gather(
    db: Database, policy: SlaPolicy, now: datetime, client: str | None = None
) -> Report:
    """The desk's state, or one client's (`client`: its key; its plan is `policy`)."""
    counts = await store.open_counts(db, client)
    at_risk, breached = [], []
    for ticket in await store.warned_tickets(db, now, client):
        for clock, (_, stages) in running_clocks(ticket).items():
            due = stages[DUE]
            warn = stages.get("por_vencer", due)
            if warn > now:
                continue
            if due <= now:
                left = -policy.calendar.elapsed(due, now)
                breached.append(Alert(ticket.number, clock, due, ticket.assignee, left))
            else:
                left = policy.calendar.elapsed(now, due)
                at_risk.append(Alert(ticket.number, clock, due, ticket.assignee, left))
    at_risk.sort(key=lambda a: a.due)
    breached.sort(key=lambda a: a.due)
    compliance = [await _compliance(db, policy, now, days, client) for days in (7, 30)]
    return Report(
        now, counts["status"], counts["severity"], counts["assignee"], at_risk, breached, compliance
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
