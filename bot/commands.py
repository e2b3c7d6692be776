"""The `/hib2b` sub-commands, shared by Slack and the `hib2b` command line.

Spanish names with English aliases; case and accents do not matter. So far only the read-only
ones exist; the technicians' workflow adds the rest."""

from __future__ import annotations

import unicodedata

from bot.domain import INCIDENT_BY_KEY, Severity, Status, parse_ticket_code, ticket_code
from bot.mail import local_time
from bot.services import Services
from bot.text import slack_escape
from store import tickets as store

USAGE = """*Comandos de /hib2b*
• `/hib2b ayuda`: esta ayuda
• `/hib2b ver HD-N`: el ticket HD-N (solo usted lo ve)"""

ALIASES = {"ayuda": "ayuda", "help": "ayuda", "ver": "ver", "show": "ver"}


def normalize(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


async def answer(services: Services, text: str, for_slack: bool = True) -> str:
    words = text.split()
    if not words:
        return USAGE
    name = ALIASES.get(normalize(words[0]))
    if name is None:
        return f"No conozco el sub-comando «{_safe(words[0], for_slack)}».\n\n{USAGE}"
    if name == "ayuda":
        return USAGE
    return await show(services, words[1:], for_slack)


def _safe(text: str, for_slack: bool) -> str:
    return slack_escape(text) if for_slack else text


async def show(services: Services, args: list[str], for_slack: bool) -> str:
    number = parse_ticket_code(args[0]) if args else None
    if number is None:
        return "Indique el ticket: `/hib2b ver HD-N`."
    ticket = await store.get_ticket(services.db, number)
    if ticket is None:
        return f"No existe el ticket {ticket_code(number)}."
    attachments = await store.attachments_of(services.db, number)
    safe = lambda value: _safe(value, for_slack)  # noqa: E731
    lines = [
        f"*{ticket_code(number)}* · {INCIDENT_BY_KEY[ticket.tipo].label}",
        f"Severidad: {Severity(ticket.severity).label} · Estado: {Status(ticket.status).label}",
        f"Proveedor: {safe(ticket.usuario)} · Correo: {safe(ticket.correo)}",
        f"Liga portal: {safe(ticket.liga_portal) or '—'}",
        f"Recibido: {local_time(ticket.created_at, services.settings.timezone)}",
        f"Descripción: {safe(ticket.descripcion)}",
    ]
    if attachments:
        lines.append("Adjuntos: " + ", ".join(safe(a.display_name) for a in attachments))
    return "\n".join(lines)
