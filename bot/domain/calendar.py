"""Business time: the calendar the SLA clocks run on. Pure (no I/O, no clock of its own).

A `BusinessCalendar` knows which instants are open: weekdays, open intervals of the day
(`09:00-18:00`, or `09:00-14:00,15:00-18:00` with a break, `00:00-24:00` for 24/7), statutory
holidays from the `holidays` package and extra closed dates, in one time zone. Intervals are
half-open, so 18:00 itself is closed and a duration that fills a day exactly ends at 18:00.
Arithmetic walks whole days and intervals, never minutes, and is done in UTC so it stays exact
across offset changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
MAX_DAYS = 3 * 366  # a duration that needs more calendar than this is a configuration mistake


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon-sun`, `mon,wed,fri` → weekday numbers (Monday 0)."""
    found: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"unknown weekday in {text!r}: use mon, tue, … sun")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        found.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    if not found:
        raise ValueError("no open weekday")
    return frozenset(found)


def parse_hours(text: str) -> tuple[tuple[timedelta, timedelta], ...]:
    """`09:00-18:00` or `09:00-14:00,15:00-18:00` → ordered, disjoint (open, close) offsets."""
    intervals = []
    for part in text.replace(" ", "").split(","):
        match = _INTERVAL.fullmatch(part)
        if not match:
            raise ValueError(f"{part!r} is not an interval such as 09:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = timedelta(hours=h1, minutes=m1), timedelta(hours=h2, minutes=m2)
        if m1 > 59 or m2 > 59 or start >= end or end > timedelta(hours=24):
            raise ValueError(f"{part!r} is not a valid interval (00:00 to 24:00, start < end)")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in pairwise(intervals):
        if start < end:
            raise ValueError(f"intervals overlap in {text!r}")
    return tuple(intervals)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def _spanish(country: str) -> str | None:
    """Holiday names in Spanish where the country's calendar has them (the SLA explanation
    shows them to technicians), whatever the server's locale."""
    supported = holidays_lib.list_localized_countries().get(country, [])
    return next((code for code in ("es", "es_MX", "es_ES") if code in supported), None)


class BusinessCalendar:
    def __init__(
        self,
        zone: str = "America/Mexico_City",
        days: str = "mon-fri",
        hours: str = "09:00-18:00",
        holidays: str = "MX",
        closed: Iterable[date | str] = (),
    ) -> None:
        self.zone = ZoneInfo(zone)
        self.days = parse_days(days)
        self.intervals = parse_hours(hours)
        self._country = None if holidays.lower() == "none" else holidays.upper()
        self._holidays = (
            holidays_lib.country_holidays(
                self._country, categories=("public",), language=_spanish(self._country)
            )
            if self._country
            else None
        )
        self.closed = frozenset(
            day if isinstance(day, date) else date.fromisoformat(day.strip()) for day in closed
        )
        self.describe = f"{days} {hours} {zone} holidays={holidays}"

    @property
    def observes_holidays(self) -> bool:
        return self._country is not None

    @classmethod
    def default(cls) -> BusinessCalendar:
        """The manual's calendar: Mon–Fri 09:00–18:00 Mexico City, Mexican statutory holidays."""
        return cls()

    # --- days ----------------------------------------------------------------------------
    def closed_reason(self, day: date) -> str | None:
        """Why a date is closed (a holiday's name, "fin de semana", "cerrado"), or None."""
        if day.weekday() not in self.days:
            return "día no laborable"
        if day in self.closed:
            return "día cerrado"
        if self._holidays is not None and day in self._holidays:
            return self._holidays.get(day) or "día feriado"
        return None

    def is_business_day(self, day: date) -> bool:
        return self.closed_reason(day) is None

    @lru_cache(maxsize=4096)  # noqa: B019 (bounded; calendars live as long as the service)
    def _day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if not self.is_business_day(day):
            return ()
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        result = []
        for start, end in self.intervals:
            # Wall-clock offsets, then UTC: exact on days whose offset changes.
            opens = (midnight.replace(tzinfo=None) + start).replace(tzinfo=self.zone)
            closes = (midnight.replace(tzinfo=None) + end).replace(tzinfo=self.zone)
            result.append((opens.astimezone(UTC), closes.astimezone(UTC)))
        return tuple(result)

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC) that end after `moment`, in order."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        for _ in range(MAX_DAYS):
            for opens, closes in self._day_intervals(day):
                if closes > moment:
                    yield opens, closes
            day += timedelta(days=1)
        raise ValueError(f"no business time within {MAX_DAYS} days of {moment.isoformat()}")

    # --- the API -------------------------------------------------------------------------
    def add(self, start: datetime, work: timedelta) -> datetime:
        """The instant `work` business time after `start` is used up (in the calendar's zone)."""
        cursor = _aware(start, "start")
        if work < timedelta(0):
            raise ValueError("work must not be negative")
        remaining = work
        for opens, closes in self._intervals_from(cursor):
            begin = max(opens, cursor)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.zone)
            remaining -= available
        raise AssertionError("unreachable")  # _intervals_from raises first

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two instants."""
        begin, finish = _aware(start, "start"), _aware(end, "end")
        if finish < begin:
            raise ValueError("end is before start")
        total = timedelta(0)
        if finish == begin:
            return total
        for opens, closes in self._intervals_from(begin):
            if opens >= finish:
                break
            total += min(closes, finish) - max(opens, begin)
        return total

    def is_open(self, at: datetime) -> bool:
        moment = _aware(at, "at")
        for opens, closes in self._intervals_from(moment):
            return opens <= moment < closes
        return False

    def closed_days_between(self, start: datetime, end: datetime) -> list[tuple[date, str]]:
        """Dates between two instants closed for a reason other than the weekly rest."""
        first, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
        found = []
        day = first
        while day <= last:
            reason = self.closed_reason(day)
            if reason and day.weekday() in self.days:
                found.append((day, reason))
            day += timedelta(days=1)
        return found
