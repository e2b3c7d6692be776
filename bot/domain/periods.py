"""Report periods: the days a report covers, a lead's words for them (`semana`, `mes`), and
the weekly schedule (`HIB2B_REPORT_SCHEDULE`) with the period each scheduled post reports.
Pure: local dates and times in, dates out; the caller converts with the desk's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.domain.text import fold

WEEKDAYS = {
    "mon": 0,
    "lun": 0,
    "tue": 1,
    "mar": 1,
    "wed": 2,
    "mie": 2,
    "thu": 3,
    "jue": 3,
    "fri": 4,
    "vie": 4,
    "sat": 5,
    "sab": 5,
    "sun": 6,
    "dom": 6,
}
NAMED = {"semana": 7, "week": 7, "mes": 30, "month": 30}
MAX_DAYS = 366 * 2  # a longer report is a spreadsheet's job (`exportar`)


@dataclass(frozen=True)
class Period:
    """From `since` to `until`, both local dates, inclusive."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise ValueError("la fecha final es anterior a la inicial")

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def dates(self) -> list[date]:
        return [self.since + timedelta(days=offset) for offset in range(self.days)]

    def label(self) -> str:
        return f"{self.since:%d/%m/%Y} – {self.until:%d/%m/%Y}"

    def span(self) -> str:
        """For a sentence: «del 16/11/2026 al 22/11/2026»."""
        return f"del {self.since:%d/%m/%Y} al {self.until:%d/%m/%Y}"


def named(word: str, today: date) -> Period:
    """`semana`: the seven days that end today; `mes`: the thirty. Raises ValueError."""
    days = NAMED.get(fold(word))
    if days is None:
        raise ValueError(word)
    return Period(today - timedelta(days=days - 1), today)


@dataclass(frozen=True)
class Schedule:
    """Weekly, on `weekday` (Monday 0) at `at`, local time."""

    weekday: int
    at: time

    def latest(self, now: datetime) -> datetime:
        """The last scheduled moment at or before `now` (naive local times both)."""
        back = (now.weekday() - self.weekday) % 7
        moment = datetime.combine(now.date() - timedelta(days=back), self.at)
        return moment if moment <= now else moment - timedelta(days=7)

    def following(self, now: datetime) -> datetime:
        return self.latest(now) + timedelta(days=7)

    @staticmethod
    def period_of(moment: datetime) -> Period:
        """What the post at `moment` reports: the seven days before its day."""
        day = moment.date()
        return Period(day - timedelta(days=7), day - timedelta(days=1))


def parse_schedule(text: str) -> Schedule | None:
    """`mon 09:00` (or `lun 09:00`); `off` (or empty): no scheduled report. Raises ValueError
    with what is wrong."""
    words = fold(text.strip()).split()
    if not words or words == ["off"]:
        return None
    if len(words) != 2 or words[0][:3] not in WEEKDAYS:
        raise ValueError(f"{text!r}: use a day and a time, e.g. `mon 09:00`, or `off`")
    try:
        at = time.fromisoformat(words[1])
    except ValueError:
        raise ValueError(f"{text!r}: {words[1]!r} is not a time like 09:00") from None
    return Schedule(WEEKDAYS[words[0][:3]], at.replace(second=0, microsecond=0))
