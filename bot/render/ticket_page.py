"""What the supplier's ticket page shows: where their ticket stands, what was promised, and
its public timeline — the replies and the supplier's own words, calls, waits, the close; never
internal notes, and of the team only the technician's first name. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.terms import INCIDENT_BY_KEY, STATUS_LABELS, Status, ticket_code
from bot.render.email import spanish_datetime
from store.models import Ticket

_EVENTS = {
    "creado": "Recibimos su solicitud.",
    "llamada": "Tuvimos una llamada telefónica con usted.",
    "esperando": "Quedamos en espera de información de su parte.",
    "reanudado": "Retomamos la atención de su caso.",
    "cerrado": "Su ticket fue resuelto y cerrado.",
    "reabierto": "Su ticket se reabrió.",
}
_WORDS = {  # entries whose text the supplier sees: who said it
    "respuesta": "Respuesta de soporte",
    "respuesta_proveedor": "Usted escribió",
}
_SUPPLIER = "proveedor"  # the actor of what the supplier did (their email, their page)


@dataclass(frozen=True)
class Entry:
    when: str
    what: str
    text: str = ""  # words said (shown as typed, escaped by the page's template)


@dataclass(frozen=True)
class Page:
    code: str
    tipo: str
    status: str
    received: str
    technician: str  # first name, or ""
    promises: list[str]
    timeline: list[Entry]
    can_comment: bool
    closed_note: str  # why no comment can be added, when none can


def page(
    ticket: Ticket,
    audit: list[dict[str, Any]],
    technician: str,
    zone: str,
    now: datetime,
    can_reopen: bool,
) -> Page:
    status = Status(ticket.status)
    closed = status is Status.CERRADO
    return Page(
        code=ticket_code(ticket.number),
        tipo=INCIDENT_BY_KEY[ticket.tipo].label if ticket.tipo in INCIDENT_BY_KEY else "",
        status=STATUS_LABELS[status],
        received=_local(ticket.created_at, zone),
        technician=technician.split()[0] if technician.strip() else "",
        promises=_promises(ticket, zone),
        timeline=_timeline(audit, zone),
        can_comment=not closed or can_reopen,
        closed_note=""
        if not closed or can_reopen
        else "Este ticket se cerró hace tiempo. Si necesita ayuda de nuevo, envíe una solicitud "
        "nueva desde el formulario.",
    )


def _promises(ticket: Ticket, zone: str) -> list[str]:
    said = []
    if ticket.first_contact_at is not None:
        said.append(f"Primer contacto: {spanish_datetime(ticket.first_contact_at, zone)}.")
    elif ticket.fc_due_at is not None:
        said.append(
            "Un especialista se pondrá en contacto con usted a más tardar "
            f"{spanish_datetime(ticket.fc_due_at, zone)}."
        )
    if ticket.status == Status.CERRADO and ticket.closed_at is not None:
        said.append(f"Cerrado {spanish_datetime(ticket.closed_at, zone)}.")
    elif ticket.status == Status.ESPERANDO:
        said.append("Estamos en espera de su respuesta; el plazo de resolución está en pausa.")
    elif ticket.res_due_at is not None:
        said.append(f"Resolución a más tardar {spanish_datetime(ticket.res_due_at, zone)}.")
    return said


def _timeline(audit: list[dict[str, Any]], zone: str) -> list[Entry]:
    entries, assigned = [], False
    for entry in audit:
        action, detail = entry["action"], entry["detail"]
        at = datetime.fromisoformat(entry["at"])
        if action == "llamada" and detail.get("hora"):
            at = datetime.fromisoformat(detail["hora"])
        when = _local(at, zone)
        if action == "asignado" and not assigned:
            assigned = True
            entries.append(Entry(when, "Un especialista de soporte tomó su caso."))
        elif action in _WORDS:
            what = _WORDS[action]
            names = [str(name) for name in detail.get("adjuntos") or []]
            if names:
                what += f" (archivos: {', '.join(names)})"
            entries.append(Entry(when, what, str(detail.get("texto") or "")))
        elif action == "reabierto" and entry.get("actor") == _SUPPLIER:
            # Their own words reopened it: shown as they wrote them.
            text = str(detail.get("texto") or "")
            entries.append(Entry(when, "Usted escribió y su ticket se reabrió.", text))
        elif action in _EVENTS:
            entries.append(Entry(when, _EVENTS[action]))
        elif action == "calificado":
            entries.append(Entry(when, f"Usted calificó la atención: {detail.get('valor')} de 5."))
    return entries


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
