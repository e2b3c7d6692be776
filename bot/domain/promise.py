"""What the confirmation email promises, from the ticket's own plan: its business days and
hours, its first-contact window, and — when the ticket arrived while the desk was closed —
the moment its clock starts. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.clocks import SlaPolicy

DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
HOME_ZONE = "America/Mexico_City"


@dataclass(frozen=True)
class Promise:
    first_contact: str  # «dentro de 1 a 4 horas hábiles»
    schedule: str  # «de lunes a viernes de 9:00 a 18:00, hora del centro de México, …»
    starts_at: datetime | None  # the next opening, when received while closed


def promise(policy: SlaPolicy, received: datetime) -> Promise:
    calendar = policy.calendar
    target, deadline = policy.first_contact
    opening = calendar.add(received, timedelta(0))
    starts = opening if opening > received else None
    return Promise(
        first_contact=f"dentro de {_span(target, deadline)} hábiles",
        schedule=schedule(
            calendar.days, calendar.intervals, str(calendar.zone), calendar.observes_holidays
        ),
        starts_at=starts,
    )


def schedule(
    days: frozenset[int],
    intervals: tuple[tuple[timedelta, timedelta], ...],
    zone: str,
    holidays: bool,
) -> str:
    """«de lunes a viernes de 9:00 a 18:00, hora del centro de México, excepto días festivos»."""
    if intervals == ((timedelta(0), timedelta(hours=24)),):
        hours = "las 24 horas"
    else:
        hours = " y ".join(f"de {_clock(start)} a {_clock(end)}" for start, end in intervals)
    where = "hora del centro de México" if zone == HOME_ZONE else f"hora de {zone}"
    text = f"{_days(days)} {hours}, {where}"
    return text + (", excepto días festivos" if holidays else "")


def _days(days: frozenset[int]) -> str:
    ordered = sorted(days)
    if len(ordered) == 7:
        return "todos los días,"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"de {DAYS[ordered[0]]} a {DAYS[ordered[-1]]}"
    names = [DAYS[day] for day in ordered]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " y " + names[-1]
    return f"los {joined}" if len(names) > 1 else f"el {joined}"


def _clock(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _span(low: timedelta, high: timedelta) -> str:
    """«1 a 4 horas», «30 minutos a 2 horas», «1 hora»."""
    if low == high:
        return _amount(high)
    whole = low % timedelta(hours=1) == high % timedelta(hours=1) == timedelta(0)
    if whole:
        return f"{low // timedelta(hours=1)} a {_amount(high)}"
    return f"{_amount(low)} a {_amount(high)}"


def _amount(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minuto{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hora{'s' if hours != 1 else ''}"
