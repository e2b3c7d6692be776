"""What a period's report says (`/hib2b reporte`, the weekly post, `hib2b reporte --salida`):
tickets received and closed per day, first-contact and resolution compliance overall, per
severity and per client, the slowest tickets, and the suppliers' ratings. Pure: `summarize`
reads the tickets' stored columns and counts.

Which tickets count where: received on the day it arrived; a first contact in the period it
was made (on time: by its deadline); a resolution in the period it was closed as `resuelto`
(on time: the business time it used within its severity's deadline) — as `/hib2b sla` counts."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.periods import Period
from bot.domain.terms import CloseKind

SLOWEST = 5
NO_CLIENT = ""  # the key tickets of no client are counted under

Deadline = Callable[[str, str], float]  # (client key, severity) → resolution deadline, seconds


@dataclass
class Share:
    """How many of `total` were on time."""

    on_time: int = 0
    total: int = 0

    def add(self, on_time: bool) -> None:
        self.total += 1
        self.on_time += on_time

    @property
    def percent(self) -> float | None:
        return 100 * self.on_time / self.total if self.total else None


@dataclass(frozen=True)
class Slow:
    number: int
    client: str
    severity: str
    hours: float  # business hours the resolution used


@dataclass
class PeriodReport:
    period: Period
    client: str | None  # one client's report (its key), or the desk's
    received: dict[date, int]  # every day of the period, zero included
    closed: dict[date, int]
    outcomes: Counter[str] = field(default_factory=Counter)  # close kind → tickets closed
    first_contact: Share = field(default_factory=Share)
    resolution: Share = field(default_factory=Share)
    first_contact_by_severity: dict[str, Share] = field(default_factory=dict)
    resolution_by_severity: dict[str, Share] = field(default_factory=dict)
    first_contact_by_client: dict[str, Share] = field(default_factory=dict)
    resolution_by_client: dict[str, Share] = field(default_factory=dict)
    slowest: list[Slow] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)  # 1–5, of tickets closed in the period

    @property
    def total_received(self) -> int:
        return sum(self.received.values())

    @property
    def total_closed(self) -> int:
        return sum(self.closed.values())

    @property
    def csat(self) -> float | None:
        """Share of ratings of 4 or 5, in percent (the usual CSAT)."""
        if not self.ratings:
            return None
        return 100 * sum(1 for rating in self.ratings if rating >= 4) / len(self.ratings)


def summarize(
    rows: Iterable[Mapping[str, Any]],
    period: Period,
    zone: ZoneInfo,
    deadline_of: Deadline,
    client: str | None = None,
) -> PeriodReport:
    """The report of `period` from the tickets touched in it (received, first contacted or
    closed; times as stored: ISO, UTC). Rows outside the period count nowhere."""
    report = PeriodReport(
        period,
        client,
        dict.fromkeys(period.dates(), 0),
        dict.fromkeys(period.dates(), 0),
    )
    resolved: list[Slow] = []

    # Stored instants are UTC text whose order is time order: each local day is a range of
    # that text, so a day is found by bisection instead of parsing every instant.
    days = period.dates()
    bounds = [_stored(datetime.combine(day, time(), zone)) for day in days]
    bounds.append(_stored(datetime.combine(period.until + timedelta(days=1), time(), zone)))
    last = len(days)

    def day(stored: str | None) -> date | None:
        if not stored:
            return None
        at = bisect_right(bounds, stored)
        return days[at - 1] if 0 < at <= last else None

    for row in rows:
        owner, severity = row["client"] or NO_CLIENT, row["severity"]
        received = day(row["created_at"])
        if received is not None:
            report.received[received] += 1
        contacted = day(row["first_contact_at"])
        if contacted is not None and row["fc_due_at"]:
            on_time = row["first_contact_at"] <= row["fc_due_at"]
            report.first_contact.add(on_time)
            report.first_contact_by_severity.setdefault(severity, Share()).add(on_time)
            report.first_contact_by_client.setdefault(owner, Share()).add(on_time)
        closed = day(row["closed_at"])
        if closed is None:
            continue
        report.closed[closed] += 1
        kind = row["close_kind"] or ""
        report.outcomes[kind] += 1
        if row["rating"]:
            report.ratings.append(int(row["rating"]))
        if kind != CloseKind.RESUELTO or not row["res_gen"] or row["res_used_s"] is None:
            continue
        used = float(row["res_used_s"])
        on_time = used <= deadline_of(owner, severity)
        report.resolution.add(on_time)
        report.resolution_by_severity.setdefault(severity, Share()).add(on_time)
        report.resolution_by_client.setdefault(owner, Share()).add(on_time)
        resolved.append(Slow(row["number"], owner, severity, round(used / 3600, 1)))
    resolved.sort(key=lambda slow: (-slow.hours, slow.number))
    report.slowest = resolved[:SLOWEST]
    return report


def _stored(moment: datetime) -> str:
    """An instant as the store writes it (UTC, microseconds)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
