"""What `/hib2b sla` reports, as plain records: gathered by `bot.cases.reports`, rendered by
`bot.render.sla`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

SHOWN = 10  # alerts listed per kind; the rest are counted


@dataclass(frozen=True)
class Alert:
    number: int
    clock: str
    due: datetime
    assignee: str | None
    left: timedelta  # business time until the deadline (negative: overdue by)


@dataclass(frozen=True)
class Compliance:
    days: int
    contacts: int = 0
    contacts_on_time: int = 0
    contacts_before_target: int = 0
    contact_median: timedelta | None = None
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_before_target: int = 0
    resolution_median: timedelta | None = None
    ratings: list[tuple[str, int, float]] = field(default_factory=list)  # by technician
    ratings_by_client: list[tuple[str, int, float]] = field(default_factory=list)

    @property
    def rated(self) -> tuple[int, float | None]:
        """How many ratings, and their average (1 to 5)."""
        count = sum(n for _, n, _ in self.ratings)
        if not count:
            return 0, None
        return count, sum(n * average for _, n, average in self.ratings) / count


@dataclass(frozen=True)
class Report:
    now: datetime
    by_status: dict[str, int]
    by_severity: dict[str, int]
    load: dict[str, int]
    at_risk: list[Alert] = field(default_factory=list)
    breached: list[Alert] = field(default_factory=list)
    compliance: list[Compliance] = field(default_factory=list)
    # How many there are in all when the lists hold only the first ones (None: the lists' length).
    at_risk_total: int | None = None
    breached_total: int | None = None
