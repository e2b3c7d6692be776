"""The text answers of `/hib2b` for the person who asked: a ticket described, a list of tickets,
the clients. Pure; supplier text is escaped for Slack (`for_slack`) or left as typed for the
terminal."""

from __future__ import annotations

from bot.domain.change import mention
from bot.domain.requests import Listing
from bot.domain.terms import INCIDENT_BY_KEY, CloseKind, Role, Severity, Status, ticket_code
from bot.domain.text import shorten, slack_escape
from bot.render.email import local_time
from store.models import Client, Ticket

MAX_LIST = 30
SEARCH_SHOWN = 10  # the best matches; a search is refined, not paged
MAX_CLIENTS = 100  # ~120 characters a line: well within Slack's 40,000
LIST_TITLES = {
    Listing.OPEN: "Tickets abiertos",
    Listing.MINE: "Mis tickets abiertos",
    Listing.UNASSIGNED: "Tickets sin asignar",
    Listing.BREACHED: "Tickets con el SLA vencido",
}


def safe(text: str, for_slack: bool) -> str:
    return slack_escape(text) if for_slack else text


def describe(ticket: Ticket, attachments: list[str], zone: str, for_slack: bool) -> str:
    """`ver HD-N` as text (the terminal, and Slack's notification fallback)."""

    def shown(text: str) -> str:
        return safe(text, for_slack)

    lines = [
        f"*{ticket_code(ticket.number)}* · {INCIDENT_BY_KEY[ticket.tipo].label}",
        f"Severidad: {Severity(ticket.severity).label} · Estado: {Status(ticket.status).label}"
        f" · Asignado a: {mention(ticket.assignee) if ticket.assignee else 'nadie'}",
        f"Proveedor: {shown(ticket.usuario)} · Correo: {shown(ticket.correo)}",
        f"Liga portal: {shown(ticket.liga_portal) or '—'}",
        f"Recibido: {local_time(ticket.created_at, zone)}",
    ]
    if ticket.first_contact_at:
        lines.append(f"Primer contacto: {local_time(ticket.first_contact_at, zone)}")
    if ticket.closed_at:
        lines.append(
            f"Cerrado: {local_time(ticket.closed_at, zone)} · "
            f"{CloseKind(ticket.close_kind or 'resuelto').label} · "
            f"Causa: {shown(ticket.close_cause or '')}"
        )
    lines.append(f"Descripción: {shown(ticket.descripcion)}")
    if attachments:
        lines.append("Adjuntos: " + ", ".join(shown(name) for name in attachments))
    return "\n".join(lines)


def ticket_list(title: str, tickets: list[Ticket], total: int, for_slack: bool) -> str:
    """The first `MAX_LIST` of `total` tickets, saying how many more there are."""
    lines = [_list_line(t, for_slack) for t in tickets[:MAX_LIST]]
    if total > len(lines):
        lines.append(f"… y {total - len(lines)} más.")
    return f"*{title} ({total})*\n" + ("\n".join(lines) or "_Ninguno._")


def _list_line(ticket: Ticket, for_slack: bool) -> str:
    who = mention(ticket.assignee) if ticket.assignee else "sin asignar"
    return (
        f"• *{ticket_code(ticket.number)}* · {INCIDENT_BY_KEY[ticket.tipo].label} · "
        f"{Severity(ticket.severity).label} · {Status(ticket.status).label} · {who} · "
        f"{safe(ticket.usuario, for_slack)}"
    )


def template_list(found: list[tuple[str, str]]) -> str:
    lines = [f"• `{name}`: {_first_line(text)}" for name, text in found[:MAX_CLIENTS]]
    return f"*Plantillas ({len(found)})* — úselas con `/hib2b responder HD-N /nombre`\n" + (
        "\n".join(lines) or "_Ninguna._"
    )


def template(name: str, text: str, for_slack: bool) -> str:
    body = safe(text, for_slack)
    quoted = "\n".join(f"> {line}" for line in body.splitlines()) if for_slack else body
    return f"*Plantilla `{name}`*\n{quoted}"


def _first_line(text: str, limit: int = 80) -> str:
    """Its first words after the greeting: what tells one template from another."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = [line for line in lines if not line.lower().startswith(("hola", "estimad"))]
    short, _ = shorten((said or lines or [""])[0], limit)
    return slack_escape(short)


def client_list(found: list[Client]) -> str:
    """The first `MAX_CLIENTS` clients (a message must stay within Slack's limits)."""
    lines = [f"• `{c.key}` · {slack_escape(c.name)} · {c.status}" for c in found[:MAX_CLIENTS]]
    if len(found) > MAX_CLIENTS:
        lines.append(f"… y {len(found) - MAX_CLIENTS} más: `/hib2b cliente ver clave`.")
    return f"*Clientes ({len(found)})*\n" + ("\n".join(lines) or "_Ninguno._")


def client_card(client: Client) -> str:
    """`cliente ver`: the client, its support, hosts and plan."""
    plan = ", ".join(f"{k}={v}" for k, v in (client.plan or {}).items()) or "predeterminado"
    return (
        f"*{slack_escape(client.name)}* (`{client.key}`) · soporte {client.status} desde "
        f"{client.status_at:%d/%m/%Y} ({client.status_by}) · hosts: "
        f"{', '.join(client.hosts) or '—'} · plan: {plan} · RFC: {', '.join(client.rfcs) or '—'}"
    )


def team_list(roles: dict[str, Role]) -> str:
    """`equipo lista`: leads, then technicians."""
    if not roles:
        return (
            "El equipo está vacío. Un líder agrega personas con `/hib2b equipo agregar @x tecnico`."
        )
    leads = [mention(u) for u, r in sorted(roles.items()) if r is Role.LIDER]
    techs = [mention(u) for u, r in sorted(roles.items()) if r is Role.TECNICO]
    return f"*Líderes:* {', '.join(leads) or '—'}\n*Técnicos:* {', '.join(techs) or '—'}"
