"""The ticket's history told to the supplier, for the closing summary. Pure.

Internal events (notes, severity changes, releases, reassignments) stay out: the supplier reads
what happened with their case, not how the team organised itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

_SAID = {
    "creado": "Recibimos su solicitud.",
    "respuesta": "Le enviamos una respuesta por correo.",
    "llamada": "Tuvimos una llamada telefónica con usted.",
    "esperando": "Quedamos en espera de información de su parte.",
    "reanudado": "Retomamos la atención de su caso.",
    "cerrado": "Su ticket fue resuelto y cerrado.",
}


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


def for_supplier(
    audit: list[dict[str, Any]], first_contact: datetime | None, zone: str
) -> list[tuple[str, str]]:
    """(local time, what happened) lines, in order, from the audit trail."""
    lines: list[tuple[datetime, int, str]] = []
    assigned = False
    for order, entry in enumerate(audit):
        at = datetime.fromisoformat(entry["at"])
        action = entry["action"]
        if action == "llamada" and entry["detail"].get("hora"):
            at = datetime.fromisoformat(entry["detail"]["hora"])
        if action == "asignado" and not assigned:
            assigned = True
            lines.append((at, order, "Un especialista de soporte fue asignado a su caso."))
        elif action == "reabierto":
            lines.append((at, order, "Su ticket fue reabierto: " + entry["detail"]["motivo"]))
        elif action in _SAID:
            lines.append((at, order, _SAID[action]))
    if first_contact is not None:
        lines.append((first_contact, -1, "Primer contacto del especialista con usted."))
    lines.sort(key=lambda line: (line[0], line[1]))
    return [(_when(at, zone) + " h", text) for at, _, text in lines]
