"""What `hib2b privacidad buscar` prints: everything kept about one address. Pure."""

from __future__ import annotations

from typing import Any, Protocol

from bot.domain.terms import STATUS_LABELS, Status, ticket_code


class Found(Protocol):
    correo: str
    tickets: list[dict[str, Any]]
    emails: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    elsewhere: list[dict[str, Any]]


def found(result: Found) -> str:
    if not result.tickets and not result.elsewhere:
        return f"No hay datos de {result.correo}."
    lines = [f"Datos de {result.correo}:", f"Tickets ({len(result.tickets)}):"]
    for ticket in result.tickets:
        status = STATUS_LABELS.get(Status(ticket["status"]), ticket["status"])
        lines.append(
            f"  {ticket_code(ticket['number'])}  {ticket['created_at'][:10]}  {status:<10}"
            f"  {ticket['tipo']}  usuario={ticket['usuario']}"
        )
    lines.append(f"Correos enviados: {len(result.emails)}")
    lines.append(f"Archivos: {len(result.attachments)}")
    for attachment in result.attachments:
        lines.append(
            f"  {ticket_code(attachment['ticket'])}  {attachment['display_name']}"
            f"  ({attachment['size']} bytes)"
        )
    if result.elsewhere:
        codes = sorted({ticket_code(m["ticket"]) for m in result.elsewhere if m["ticket"]})
        lines.append(f"Mencionado en otros tickets: {', '.join(codes) or '—'}")
    return "\n".join(lines)
