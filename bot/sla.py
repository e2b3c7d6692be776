"""The business calendar's contract path (`from bot.sla import BusinessCalendar`); the code
lives in `bot.domain.calendar` with the other pure rules."""

from bot.domain.calendar import BusinessCalendar, parse_days, parse_hours

__all__ = ["BusinessCalendar", "parse_days", "parse_hours"]
