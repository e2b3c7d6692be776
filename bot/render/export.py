"""The export's rows: the manual's tracker sheet, a column each, in this order. Pure: times
come out as local, naive datetimes (a spreadsheet's dates), hours as numbers, yes/no in Spanish;
the writers (CSV, XLSX) only format what is here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.clocks import SlaPolicy
from bot.domain.terms import CAUSES, INCIDENT_BY_KEY, CloseKind, Severity, Status, ticket_code

COLUMNS = (
    "Ticket",
    "Recibido",
    "Cliente",
    "Usuario",
    "Correo",
    "Tipo de incidente",
    "Severidad",
    "Técnico",
    "Estado",
    "Primer contacto",
    "Horas hábiles a primer contacto",
    "Primer contacto a tiempo",
    "Cerrado",
    "Horas hábiles a resolución",
    "Resolución a tiempo",
    "Resultado",
    "Causa raíz",
    "Calificación",
)
TIME_COLUMNS = frozenset({"Recibido", "Primer contacto", "Cerrado"})

Cell = str | float | datetime | None


def row(ticket: Mapping[str, Any], policy: SlaPolicy, zone: ZoneInfo) -> tuple[Cell, ...]:
    """One ticket's cells from its stored columns (`store.tickets.EXPORTED`, with its client's
    and its technician's names): times as stored, compared as stored (UTC, one format)."""

    def local(stored: str | None) -> datetime | None:
        if not stored:
            return None
        return datetime.fromisoformat(stored).astimezone(zone).replace(tzinfo=None, microsecond=0)

    contacted, due = ticket["first_contact_at"], ticket["fc_due_at"]
    resolved = ticket["close_kind"] == CloseKind.RESUELTO and ticket["res_gen"] > 0
    deadline = policy.budget(ticket["severity"])[1].total_seconds() if resolved else None
    kind, cause = ticket["close_kind"], ticket["close_cause"] or ""
    incident = INCIDENT_BY_KEY.get(ticket["tipo"])
    return (
        ticket_code(ticket["number"]),
        local(ticket["created_at"]),
        ticket["client_name"],
        ticket["usuario"],
        ticket["correo"],
        incident.label if incident else ticket["tipo"],
        _SEVERITY.get(ticket["severity"], ticket["severity"]),
        ticket["technician"],
        _STATUS.get(ticket["status"], ticket["status"]),
        local(contacted),
        _hours(ticket["fc_business_s"]) if contacted else None,
        _yes(contacted <= due) if contacted and due else "",
        local(ticket["closed_at"]),
        _hours(ticket["res_used_s"]) if resolved else None,
        _yes(ticket["res_used_s"] <= deadline) if deadline is not None else "",
        CloseKind(kind).label if kind else "",
        CAUSES.get(cause, cause),
        float(ticket["rating"]) if ticket["rating"] else None,  # the supplier's, 1 to 5
    )


_SEVERITY = {severity.value: severity.label for severity in Severity}
_STATUS = {status.value: status.label for status in Status}


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def _yes(value: bool) -> str:
    return "sí" if value else "no"
