"""The business calendar: the manual's examples, the edges, and thousands of random cases
checked against an independent library (businesstimedelta)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pytest
import pytz

from bot.domain.calendar import BusinessCalendar

MX = ZoneInfo("America/Mexico_City")
H = dt.timedelta(hours=1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MX)


CAL = BusinessCalendar.default()


def test_mexico_city_is_utc_minus_6_all_year() -> None:
    assert at(2026, 7, 1, 12).utcoffset() == dt.timedelta(hours=-6)
    assert at(2026, 1, 1, 12).utcoffset() == dt.timedelta(hours=-6)


@pytest.mark.parametrize(
    ("start", "work", "due"),
    [
        (
            at(2026, 11, 20, 17),
            4 * H,
            at(2026, 11, 23, 12),
        ),  # the manual: Friday 17:00 → Monday 12:00
        (at(2026, 11, 13, 17), 4 * H, at(2026, 11, 17, 12)),  # … Tuesday when Monday is a holiday
        (at(2026, 11, 25, 14), 4 * H, at(2026, 11, 25, 18)),  # an exact fill ends at closing
        (at(2026, 11, 25, 18), 1 * H, at(2026, 11, 26, 10)),  # 18:00 is closed
        (at(2026, 11, 25, 7), 1 * H, at(2026, 11, 25, 10)),  # before opening: starts at 09:00
        (at(2026, 11, 28, 10), 0 * H, at(2026, 11, 30, 9)),  # add(…, 0) is the next opening
        (at(2026, 11, 25, 10, 30), 0 * H, at(2026, 11, 25, 10, 30)),
        (at(2026, 12, 24, 17), 2 * H, at(2026, 12, 28, 10)),  # Christmas on a Friday
        (at(2026, 12, 31, 17), 2 * H, at(2027, 1, 4, 10)),  # year end, New Year's Day Friday
        (at(2027, 1, 29, 17), 2 * H, at(2027, 2, 2, 10)),  # 1st Monday of February
        (at(2026, 9, 15, 17), 4 * H, at(2026, 9, 17, 12)),  # Independence Day on a Wednesday
        (at(2026, 11, 25, 9), 32 * H, at(2026, 11, 30, 14)),  # Bajo's deadline, over a weekend
    ],
)
def test_deadlines(start: dt.datetime, work: dt.timedelta, due: dt.datetime) -> None:
    assert CAL.add(start, work) == due
    assert CAL.add(start, work).tzinfo == MX


def test_elapsed_and_is_open() -> None:
    assert CAL.elapsed(at(2026, 11, 13, 17), at(2026, 11, 17, 12)) == 4 * H
    assert CAL.elapsed(at(2026, 11, 28, 10), at(2026, 11, 29, 10)) == dt.timedelta(0)
    assert CAL.is_open(at(2026, 11, 25, 9)) and CAL.is_open(at(2026, 11, 25, 17, 59, 59))
    assert not CAL.is_open(at(2026, 11, 25, 18)) and not CAL.is_open(at(2026, 11, 16, 12))
    utc = dt.datetime(2026, 11, 25, 16, tzinfo=dt.UTC)  # 10:00 in Mexico City
    assert CAL.add(utc, H) == at(2026, 11, 25, 11)


def test_a_break_in_the_day() -> None:
    cal = BusinessCalendar(hours="09:00-14:00,15:00-18:00")
    assert cal.add(at(2026, 11, 25, 13), 2 * H) == at(2026, 11, 25, 16)
    assert cal.add(at(2026, 11, 25, 10), 4 * H) == at(2026, 11, 25, 14)  # fills to the break
    assert cal.add(at(2026, 11, 25, 9), 8 * H) == at(2026, 11, 25, 18)  # 8 h are one day
    assert not cal.is_open(at(2026, 11, 25, 14, 30))


def test_a_24_7_calendar() -> None:
    cal = BusinessCalendar(days="mon-sun", hours="00:00-24:00", holidays="none")
    assert cal.add(at(2026, 11, 28, 23), 2 * H) == at(2026, 11, 29, 1)
    assert cal.elapsed(at(2026, 12, 24), at(2026, 12, 26)) == 48 * H
    assert cal.is_open(at(2026, 12, 25, 3))


def test_extra_closed_days_and_reasons() -> None:
    cal = BusinessCalendar(closed=["2026-11-26"])
    assert cal.add(at(2026, 11, 25, 17), 2 * H) == at(2026, 11, 27, 10)
    assert cal.closed_reason(dt.date(2026, 11, 26)) == "día cerrado"
    # In Spanish whatever the server's locale: technicians read it in `sla HD-N`.
    assert cal.closed_reason(dt.date(2026, 11, 16)) == "Día de la Revolución"
    assert cal.closed_reason(dt.date(2026, 11, 28)) == "día no laborable"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: CAL.add(dt.datetime(2026, 11, 25, 10), H), "timezone-aware"),
        (lambda: CAL.add(at(2026, 11, 25, 10), -H), "negative"),
        (lambda: CAL.elapsed(at(2026, 11, 25, 10), at(2026, 11, 25, 9)), "before start"),
        (lambda: BusinessCalendar(hours="18:00-09:00"), "valid interval"),
        (lambda: BusinessCalendar(days="lun-vie"), "weekday"),
        (lambda: BusinessCalendar(hours="09:00-14:00,13:00-18:00"), "overlap"),
    ],
)
def test_bad_input(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def _oracle(breaks: bool) -> btd.Rules:
    tz = pytz.timezone("America/Mexico_City")
    rules = [
        btd.WorkDayRule(
            start_time=dt.time(9), end_time=dt.time(18), working_days=[0, 1, 2, 3, 4], tz=tz
        ),
        btd.HolidayRule(
            holidays.country_holidays("MX", years=range(2024, 2033), categories=("public",)), tz=tz
        ),
    ]
    if breaks:
        rules.append(
            btd.LunchTimeRule(
                start_time=dt.time(14), end_time=dt.time(15), working_days=[0, 1, 2, 3, 4], tz=tz
            )
        )
    return btd.Rules(rules)


@pytest.mark.parametrize("breaks", [False, True])
def test_agrees_with_businesstimedelta(breaks: bool) -> None:
    oracle = _oracle(breaks)
    cal = BusinessCalendar(hours="09:00-14:00,15:00-18:00" if breaks else "09:00-18:00")
    rnd = random.Random(20261128 + breaks)
    for _ in range(1000):
        start = at(2025, 1, 1) + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 365 * 4))
        hours, minutes = rnd.choice([0, 1, 4, 6, 8, 16, 32, 100]), rnd.randrange(0, 60)
        ours = cal.add(start, dt.timedelta(hours=hours, minutes=minutes))
        theirs = start + btd.BusinessTimeDelta(oracle, hours=hours, seconds=minutes * 60)
        assert ours == theirs, (start, hours, minutes)
        end = start + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 10))
        difference = oracle.difference(start, end)
        expected = dt.timedelta(hours=difference.hours, seconds=difference.seconds)
        assert cal.elapsed(start, end) == expected, (start, end)
