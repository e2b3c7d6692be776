"""Support plans: the default one comes from the environment (the manual's); a client's plan
overrides parts of it (calendar, first-contact and resolution targets) for its tickets."""

from __future__ import annotations

import json
from datetime import timedelta

import aiosqlite

from bot.config import ConfigError, Settings, parse_duration
from bot.domain.calendar import BusinessCalendar
from bot.domain.clocks import SlaPolicy
from bot.domain.terms import Severity
from store import clients as store
from store.models import Client, Ticket

# Plan keys, as leads type them: `/hib2b cliente plan acme dias=mon-sun horas=00:00-24:00`.
CALENDAR_KEYS = {
    "zona": "zone",
    "dias": "days",
    "horas": "hours",
    "feriados": "holidays",
    "cerrados": "closed",
}
TARGET_KEYS = {
    "primer_contacto": None,
    "bajo": Severity.BAJO,
    "medio_alto": Severity.MEDIO_ALTO,
    "critico": Severity.CRITICO,
}
PLAN_KEYS = (*CALENDAR_KEYS, *TARGET_KEYS)


def _targets(text: str, name: str) -> tuple[timedelta, timedelta]:
    try:
        target, deadline = (parse_duration(part, name) for part in text.split(","))
    except (ConfigError, ValueError):
        raise ValueError(f"{name}: escriba objetivo,límite como 1h,4h") from None
    if not timedelta(0) < target <= deadline:
        raise ValueError(f"{name}: el objetivo debe ser positivo y no mayor que el límite")
    return target, deadline


class Policies:
    """SLA policies by plan, built once per distinct plan."""

    def __init__(self, settings: Settings) -> None:
        self._base = {
            "zone": settings.timezone,
            "days": settings.business_days,
            "hours": settings.business_hours,
            "holidays": settings.holidays,
            "closed": ",".join(settings.extra_closed_days),
        }
        self._targets = {
            None: settings.sla_first_contact,
            Severity.BAJO: settings.sla_bajo,
            Severity.MEDIO_ALTO: settings.sla_medio_alto,
            Severity.CRITICO: settings.sla_critico,
        }
        self._cache: dict[str, SlaPolicy] = {}
        self.default = self.for_plan(None)

    def for_plan(self, plan: dict[str, str] | None) -> SlaPolicy:
        """The policy of a plan; raises ValueError (Spanish) for a bad one."""
        cache_key = json.dumps(plan or {}, sort_keys=True)
        if cache_key in self._cache:
            return self._cache[cache_key]
        plan = plan or {}
        unknown = set(plan) - set(PLAN_KEYS)
        if unknown:
            raise ValueError(f"no conozco {', '.join(sorted(unknown))}; use {', '.join(PLAN_KEYS)}")
        calendar = dict(self._base)
        for key, field in CALENDAR_KEYS.items():
            if key in plan:
                calendar[field] = plan[key]
        targets = dict(self._targets)
        for key, severity in TARGET_KEYS.items():
            if key in plan:
                targets[severity] = _targets(plan[key], key)
        closed = [day for day in calendar.pop("closed").split(",") if day.strip()]
        try:
            cal = BusinessCalendar(**calendar, closed=closed)
        except (ValueError, KeyError, NotImplementedError) as error:
            raise ValueError(f"calendario no válido: {error}") from None
        policy = SlaPolicy(cal, targets[None], {s: targets[s] for s in Severity})
        self._cache[cache_key] = policy
        return policy

    def of(self, client: Client | None) -> SlaPolicy:
        return self.for_plan(client.plan if client else None)

    async def for_client(self, conn: aiosqlite.Connection, client: str | None) -> SlaPolicy:
        if client is None:
            return self.default
        return self.of(await store.client_in(conn, client))

    async def for_ticket(self, conn: aiosqlite.Connection, ticket: Ticket) -> SlaPolicy:
        return await self.for_client(conn, ticket.client)
