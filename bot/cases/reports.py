"""The figures behind `/hib2b sla`: open tickets by status, severity and person, the clocks at
risk or past their deadline, and 7- and 30-day compliance. Reads only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.domain.clocks import SlaPolicy
from bot.domain.reports import SHOWN, Alert, Compliance, Report
from store import sla as store
from store.db import Database, from_db
from store.models import Ticket

T = TypeVar("T")
DERIVED_KEPT = 64  # renderings of shared reports; more means reports nobody shares now

# What the compliance figures read of a ticket: a change that leaves these alone (taking,
# releasing, a note) leaves them as they were. (Closing and reopening move `closed_at`.)
SETTLED_FIELDS = (
    "severity",
    "client",
    "first_contact_at",
    "fc_due_at",
    "fc_target_at",
    "fc_business_s",
    "closed_at",
    "close_kind",
    "res_gen",
    "res_used_s",
    "rating",
)


def settles(before: Ticket | None, after: Ticket | None) -> bool:
    """Whether going from `before` to `after` can move the 7- and 30-day compliance."""
    if before is None or after is None:
        return True
    return any(getattr(before, name) != getattr(after, name) for name in SETTLED_FIELDS)


@dataclass(frozen=True)
class _Live:
    counts: dict[str, dict[str, int]]
    breached: list[Alert]
    breached_total: int
    at_risk: list[Alert]
    at_risk_total: int


async def gather(
    db: Database, policy: SlaPolicy, now: datetime, client: str | None = None
) -> Report:
    """The desk's state, or one client's (`client`: its key; its plan is `policy`)."""
    return _report(
        now, await _live(db, policy, now, client), await _settled(db, policy, now, client)
    )


def _report(now: datetime, live: _Live, compliance: list[Compliance]) -> Report:
    return Report(
        now,
        live.counts["status"],
        live.counts["severity"],
        live.counts["assignee"],
        live.at_risk,
        live.breached,
        compliance,
        at_risk_total=live.at_risk_total,
        breached_total=live.breached_total,
    )


async def _live(db: Database, policy: SlaPolicy, now: datetime, client: str | None) -> _Live:
    """What any change moves: open tickets, and the clocks at risk or past their deadline."""
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

    return _Live(
        counts,
        [alert(row) for row in breached_rows],
        breached_total,
        [alert(row) for row in risk_rows],
        risk_total,
    )


async def _settled(
    db: Database, policy: SlaPolicy, now: datetime, client: str | None
) -> list[Compliance]:
    return [await _compliance(db, policy, now, days, client) for days in (7, 30)]


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
        ratings=await store.rating_stats(db, since, client),
        ratings_by_client=await store.rating_stats(db, since, client, by="client")
        if client is None
        else [],
    )


def _seconds(value: float | None) -> timedelta | None:
    return timedelta(seconds=value) if value is not None else None


class Reports:
    """The SLA report, shared by everyone who asks meanwhile: a lead repeating `/hib2b sla`, or
    twenty asking at once, costs one computation, not twenty, and nobody else's commands wait
    behind them. Two parts, each computed at most once at a time per client:

    - open tickets and clocks: any change to a ticket forgets them (`forget`), so they are
      never older than the last change, and at most `fresh_s` old;
    - the 7- and 30-day compliance (the costly part at a million tickets): forgotten only by a
      change that can move it (`settles`: a first contact, a closing, a reopening…), and at
      most `settled_s` old, which is how far the windows' edge may lag."""

    def __init__(self, fresh_s: float = 10.0, settled_s: float = 60.0) -> None:
        self.fresh_s, self.settled_s = fresh_s, settled_s
        self._live: dict[str | None, tuple[float, datetime, asyncio.Task[_Live]]] = {}
        self._settled: dict[str | None, tuple[float, datetime, asyncio.Task[list[Compliance]]]] = {}
        self._composed: dict[str | None, tuple[_Live, list[Compliance], Report]] = {}
        self._derived: dict[tuple[int, Hashable], tuple[Report, Any]] = {}

    async def get(
        self, db: Database, policy: SlaPolicy, now: datetime, client: str | None = None
    ) -> Report:
        live = await _shared(
            self._live, client, now, self.fresh_s, lambda: _live(db, policy, now, client)
        )
        settled = await _shared(
            self._settled, client, now, self.settled_s, lambda: _settled(db, policy, now, client)
        )
        composed = self._composed.get(client)
        if composed is not None and composed[0] is live and composed[1] is settled:
            return composed[2]  # the same parts: the same report, as of when they were made
        report = _report(now, live, settled)
        self._composed[client] = (live, settled, report)
        return report

    def derived(self, report: Report, key: Hashable, make: Callable[[], T]) -> T:
        """What is made from `report` (its rendering, for one title and one way of showing
        dates), made once for everyone who asks while the report is shared."""
        found = self._derived.get((id(report), key))
        if found is not None and found[0] is report:
            return found[1]
        if len(self._derived) >= DERIVED_KEPT:
            self._derived.clear()
        value = make()
        self._derived[(id(report), key)] = (report, value)
        return value

    def forget(self, settled: bool = True) -> None:
        """A ticket changed (`settled`: in a way that can move the compliance figures)."""
        self._live.clear()
        self._derived.clear()
        if settled:
            self._settled.clear()


async def _shared(
    made: dict[str | None, tuple[float, datetime, asyncio.Task[T]]],
    client: str | None,
    now: datetime,
    fresh_s: float,
    compute: Callable[[], Coroutine[Any, Any, T]],
) -> T:
    """The part computed less than `fresh_s` ago, or being computed, else computed now."""
    found = made.get(client)
    if found is not None:
        at, then, task = found
        if not task.done():
            return await asyncio.shield(task)  # one caller leaving must not cancel it
        # Fresh by both clocks: the desk's (which tests move) and the process's.
        fresh = time.monotonic() - at < fresh_s and 0 <= (now - then).total_seconds() < fresh_s
        if fresh and not task.cancelled() and task.exception() is None:
            return task.result()
    task = asyncio.create_task(compute())
    # Its callers await it. If they all left before it failed, the failure is dropped here
    # (the next request computes again and meets it), not left "never retrieved".
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    made[client] = (time.monotonic(), now, task)
    return await asyncio.shield(task)
