"""Block Kit for the support channel, built with `slack_sdk.models` so Slack's limits are checked
when a message is rendered (`to_dict` validates). Pure: a ticket in, JSON-ready dicts out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain import INCIDENT_BY_KEY, Severity, Status, ticket_code
from bot.text import chunks, shorten, slack_escape

CARD_EVENT = "hib2b_ticket"
THREAD_EVENT = "hib2b_delivery"
CARD_DESCRIPTION_LIMIT = 1200
SECTION_LIMIT = 3000
NOT_YET_AVAILABLE = "Esta acción aún no está disponible."

# action_id → what the button says. The workflow issue wires them; for now each answers
# NOT_YET_AVAILABLE to the person who pressed it.
ACTIONS = {
    "ticket_tomar": "Tomar",
    "ticket_responder": "Responder",
    "ticket_nota": "Nota interna",
    "ticket_cerrar": "Cerrar",
}
SEVERITY_ACTION = "ticket_severidad"
OVERFLOW_ACTION = "ticket_mas"
OVERFLOW = {
    "llamada": "Llamada",
    "esperar": "Esperar",
    "soltar": "Soltar",
    "reasignar": "Reasignar",
}


@dataclass(frozen=True)
class CardTicket:
    """What the card shows of a ticket."""

    number: int
    tipo: str
    severity: str
    status: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    created_at: datetime
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    text: str  # the notification and accessibility fallback
    blocks: list[dict]
    metadata: dict
    plain: str = ""  # the whole message as lines of text, for the log in local mode


def slack_date(moment: datetime, zone: str) -> str:
    """`<!date^…>` so each reader sees their own local time; the fallback names our zone."""
    local = moment.astimezone(ZoneInfo(zone))
    fallback = local.strftime("%d/%m/%Y %H:%M") + " (hora del centro de México)"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _summary(ticket: CardTicket) -> str:
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    return f"{ticket_code(ticket.number)} · {tipo} · {ticket.usuario}"


def card(ticket: CardTicket, zone: str) -> Message:
    """The ticket's card: the facts, the description (shortened) and the buttons."""
    code = ticket_code(ticket.number)
    severity = Severity(ticket.severity)
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    description, cut = shorten(ticket.descripcion, CARD_DESCRIPTION_LIMIT)
    if cut:
        description += "\n_(texto completo en el hilo)_"
    portal = slack_escape(ticket.liga_portal) if ticket.liga_portal else "—"
    fields = [
        f"*Tipo de incidente*\n{slack_escape(tipo)}",
        f"*Severidad*\n{severity.label}",
        f"*Proveedor*\n{slack_escape(ticket.usuario)}",
        f"*Correo contacto*\n{slack_escape(ticket.correo)}",
        f"*Liga portal*\n{portal}",
        f"*Recibido*\n{slack_date(ticket.created_at, zone)}",
    ]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"{code} · {tipo}"[:150], emoji=False)),
        SectionBlock(fields=[MarkdownTextObject(text=field) for field in fields]),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Descripción del incidente*\n{slack_escape(description)}"
            )
        ),
    ]
    status = f"*Estado:* {Status(ticket.status).label}"
    if ticket.attachments:
        names = ", ".join(slack_escape(name) for name in ticket.attachments)
        status += f"  ·  *Adjuntos ({len(ticket.attachments)}):* {names}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=shorten(status, 2900)[0])]))
    blocks.append(_buttons(ticket.number, severity))
    return Message(
        text=slack_escape(_summary(ticket)),
        blocks=[block.to_dict() for block in blocks],
        metadata={"event_type": CARD_EVENT, "event_payload": {"ticket": ticket.number}},
        plain=card_as_text(ticket, zone),
    )


def _buttons(number: int, severity: Severity) -> ActionsBlock:
    value = str(number)
    options = [Option(text=s.label, value=s.value) for s in Severity]
    elements: list = [
        ButtonElement(
            text=label,
            action_id=action,
            value=value,
            style="primary" if action == "ticket_tomar" else None,
        )
        for action, label in ACTIONS.items()
    ]
    elements.append(
        StaticSelectElement(
            action_id=SEVERITY_ACTION,
            placeholder="Severidad",
            options=options,
            initial_option=next(o for o in options if o.value == severity.value),
        )
    )
    elements.append(
        OverflowMenuElement(
            action_id=OVERFLOW_ACTION,
            options=[Option(text=label, value=f"{key}:{value}") for key, label in OVERFLOW.items()],
        )
    )
    return ActionsBlock(block_id=f"ticket:{number}", elements=elements)


def is_shortened_on_card(description: str) -> bool:
    return shorten(description, CARD_DESCRIPTION_LIMIT)[1]


def full_description(ticket: CardTicket, key: str) -> Message:
    """The whole description, for the card's thread when the card had to shorten it."""
    pieces = chunks(slack_escape(ticket.descripcion), SECTION_LIMIT - 100)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*Descripción completa del incidente*"))
    ]
    blocks += [SectionBlock(text=MarkdownTextObject(text=piece)) for piece in pieces]
    return Message(
        text=f"Descripción completa de {ticket_code(ticket.number)}",
        blocks=[block.to_dict() for block in blocks],
        metadata=thread_metadata(ticket.number, key),
        plain=f"Descripción completa de {ticket_code(ticket.number)}:\n{ticket.descripcion}",
    )


def thread_metadata(number: int, key: str) -> dict:
    """Marks a thread message with its delivery key, so a retry after a crash finds it."""
    return {"event_type": THREAD_EVENT, "event_payload": {"ticket": number, "key": key}}


def card_as_text(ticket: CardTicket, zone: str) -> str:
    """The card for the log in local mode: what the channel would show, as plain lines."""
    local = ticket.created_at.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
    lines = [
        f"{ticket_code(ticket.number)} · {INCIDENT_BY_KEY[ticket.tipo].label}",
        f"  Severidad: {Severity(ticket.severity).label}   Estado: {Status(ticket.status).label}",
        f"  Proveedor: {ticket.usuario}   Correo: {ticket.correo}",
        f"  Liga portal: {ticket.liga_portal or '—'}   Recibido: {local}",
        "  Descripción: "
        + shorten(ticket.descripcion, CARD_DESCRIPTION_LIMIT)[0].replace("\n", "\n    "),
    ]
    if ticket.attachments:
        lines.append("  Adjuntos: " + ", ".join(ticket.attachments))
    return "\n".join(lines)
