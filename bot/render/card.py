"""Block Kit for the support channel: the card, its thread's messages and the SLA reminders.
Pure: a ticket in, JSON-ready dicts out (`bot.render.kit`; every text kept within Slack's
limits here, and every block checked against `slack_sdk.models` by the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import controls
from bot.domain.cfdi import NO_CLIENT, Checks
from bot.domain.change import mention
from bot.domain.clocks import CLOCK_LABELS, STAGE_LABELS
from bot.domain.rfc import read as read_rfc
from bot.domain.terms import INCIDENT_BY_KEY, CloseKind, Severity, Status, ticket_code
from bot.domain.text import chunks, filled_chunks, shorten, slack_escape
from bot.render import cfdi as invoices
from bot.render import kit
from bot.render.cfdi import Hint, InvoiceView
from bot.render.kit import Block
from store.models import StoredFile, Ticket

CARD_EVENT = "hib2b_ticket"
THREAD_EVENT = "hib2b_delivery"
CARD_DESCRIPTION_LIMIT = 1200
SECTION_LIMIT = 3000
LITERAL_PIECE = 2900  # characters of supplier text per rich-text block
# Slack refuses a message whose blocks hold more than about 13,000 characters in all
# (`msg_blocks_too_long`), far below 50 blocks of 3,000: a message carries at most 4 pieces.
MAX_LITERAL_PIECES = 4
LITERAL_LIMIT = 11_000  # what one message shows of a supplier's text (pieces are filled)
MAX_SECTIONS = 4


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
    assignee: str | None = None
    first_contact_at: datetime | None = None
    closed_at: datetime | None = None
    close_kind: str | None = None
    close_cause: str | None = None
    duplicate_of: int | None = None
    fc_due_at: datetime | None = None  # while the first-contact clock runs
    res_due_at: datetime | None = None  # while the resolution clock runs
    res_paused: bool = False
    client_name: str = ""
    triage: bool = False  # the client could not be told
    sla_runs: bool = True  # False: the client's support is not current
    mail_bounced: bool = False
    invoices: tuple[InvoiceView, ...] = ()
    duplicate_hint: Hint | None = None  # an open ticket this one may repeat


def card_ticket(
    ticket: Ticket,
    attachments: list[StoredFile],
    client_name: str = "",
    checks: Checks = NO_CLIENT,
    original: Ticket | None = None,
) -> CardTicket:
    """What the card shows of a stored ticket (clocks only while they run). `checks`: whose
    invoices the attachments must be; `original`: the ticket it may repeat, as it is now."""
    return CardTicket(
        number=ticket.number,
        tipo=ticket.tipo,
        severity=ticket.severity,
        status=ticket.status,
        usuario=ticket.usuario,
        correo=ticket.correo,
        liga_portal=ticket.liga_portal,
        descripcion=ticket.descripcion,
        created_at=ticket.created_at,
        attachments=tuple(a.display_name for a in attachments),
        assignee=ticket.assignee,
        first_contact_at=ticket.first_contact_at,
        closed_at=ticket.closed_at,
        close_kind=ticket.close_kind,
        close_cause=ticket.close_cause,
        duplicate_of=ticket.duplicate_of,
        fc_due_at=ticket.fc_due_at if ticket.first_contact_at is None else None,
        res_due_at=ticket.res_due_at,
        res_paused=ticket.res_started_at is None and ticket.res_gen > 0,
        client_name=client_name,
        triage=bool(ticket.triage),
        sla_runs=bool(ticket.sla_runs),
        mail_bounced=bool(ticket.mail_bounced),
        invoices=invoices.views(((a.display_name, a.cfdi) for a in attachments), checks),
        duplicate_hint=invoices.hint(ticket, original),
    )


@dataclass(frozen=True)
class Message:
    text: str  # the notification and accessibility fallback
    blocks: list[dict]
    metadata: dict
    plain: str = ""  # the whole message as lines of text, for the log in local mode
    broadcast: bool = False  # a thread reply also shown in the channel


def slack_date(moment: datetime, zone: str) -> str:
    """`<!date^…>` so each reader sees their own local time; the fallback names our zone."""
    local = moment.astimezone(ZoneInfo(zone))
    fallback = local.strftime("%d/%m/%Y %H:%M") + " (hora del centro de México)"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _summary(ticket: CardTicket) -> str:
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    status = Status(ticket.status)
    suffix = f" · {status.label}" if status is not Status.NUEVO else ""
    return f"{ticket_code(ticket.number)} · {tipo} · {ticket.usuario}{suffix}"


def card(ticket: CardTicket, zone: str) -> Message:
    """The ticket's card: the facts, the description (shortened), the state and the controls."""
    code = ticket_code(ticket.number)
    severity = Severity(ticket.severity)
    status = Status(ticket.status)
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    description, cut = shorten(ticket.descripcion, CARD_DESCRIPTION_LIMIT)
    fields = [
        f"*Tipo de incidente*\n{slack_escape(tipo)}",
        f"*Severidad*\n{severity.label}",
        f"*Recibido*\n{slack_date(ticket.created_at, zone)}",
    ]
    # What the supplier typed is shown as rich text: literal, so `*Estado:* Cerrado` or
    # `<!here>` in a description neither formats nor pings, whatever its length after escaping.
    rfc = read_rfc(ticket.usuario)
    facts = [
        ("RFC" if rfc else "Proveedor", rfc.value if rfc else ticket.usuario),
        ("Correo contacto", ticket.correo),
        ("Liga portal", ticket.liga_portal or "—"),
    ]
    if ticket.attachments:
        facts.append((f"Adjuntos ({len(ticket.attachments)})", ", ".join(ticket.attachments)))
    hint = []
    if rfc is not None and not rfc.digit_ok:
        hint = [
            kit.context(
                ":warning: El dígito verificador de este RFC no coincide: confírmelo con el "
                "proveedor antes de buscarlo en el portal."
            )
        ]
    title = f"{code} · {tipo}" + (" · CERRADO" if status is Status.CERRADO else "")
    blocks: list[Block] = [
        kit.header(title),
        kit.fields(fields),
        labelled(facts),
        *hint,
        kit.section("*Descripción del incidente*"),
        *literal(description, pieces=1),
    ]
    if cut:
        blocks.append(kit.context("_(texto completo en el hilo)_"))
    blocks.extend(invoices.invoice_blocks(ticket.invoices, ticket.number))
    if ticket.duplicate_hint is not None:
        blocks.append(invoices.duplicate_block(ticket.number, ticket.duplicate_hint))
    blocks.append(kit.context(_state_line(ticket, zone)))
    if status is Status.CERRADO:
        reopen = controls.REOPEN
        blocks.append(
            kit.actions(
                controls.block_id(ticket.number),
                [kit.button(reopen.label, reopen.key, str(ticket.number))],
            )
        )
    else:
        blocks.append(_controls(ticket.number, severity, status))
    return Message(
        text=slack_escape(_summary(ticket)),
        blocks=blocks,
        metadata={"event_type": CARD_EVENT, "event_payload": {"ticket": ticket.number}},
        plain=card_as_text(ticket, zone),
    )


def detail(ticket: CardTicket, zone: str) -> list[dict]:
    """The card without its controls, for `/hib2b ver` (an answer only its reader sees)."""
    blocks = [block for block in card(ticket, zone).blocks if block["type"] != "actions"]
    return [{key: value for key, value in b.items() if key != "accessory"} for b in blocks]


def _state_line(ticket: CardTicket, zone: str) -> str:
    status = Status(ticket.status)
    parts = [f"*Estado:* {status.label}"]
    if ticket.client_name:
        parts.append(f"*Cliente:* {slack_escape(ticket.client_name)}")
    elif ticket.triage:
        parts.append(":mag: *Cliente desconocido:* revisar")
    if ticket.mail_bounced:
        parts.append(":warning: *Correo rebotado:* llamar al proveedor")
    if not ticket.sla_runs and status is not Status.CERRADO:
        parts.append(
            ":no_entry: *Soporte no vigente:* sin SLA (`/hib2b cliente aceptar "
            f"{ticket_code(ticket.number)}`)"
        )
    if ticket.assignee:
        parts.append(f"*Asignado a:* {mention(ticket.assignee)}")
    if ticket.first_contact_at:
        parts.append(f"*Primer contacto:* {slack_date(ticket.first_contact_at, zone)}")
    if ticket.fc_due_at and status is not Status.CERRADO:
        parts.append(f"*Primer contacto vence:* {slack_date(ticket.fc_due_at, zone)}")
    if ticket.res_due_at and status is not Status.CERRADO:
        parts.append(f"*Resolución vence:* {slack_date(ticket.res_due_at, zone)}")
    elif ticket.res_paused and status is Status.ESPERANDO:
        parts.append("*Resolución:* en pausa mientras se espera al proveedor")
    if status is Status.CERRADO and ticket.closed_at:
        kind = CloseKind(ticket.close_kind or CloseKind.RESUELTO)
        closed = f"*Cerrado:* {slack_date(ticket.closed_at, zone)} ({kind.label}"
        if kind is CloseKind.DUPLICADO and ticket.duplicate_of:
            closed += f" de {ticket_code(ticket.duplicate_of)}"
        parts.append(closed + ")")
        if ticket.close_cause:
            parts.append(f"*Causa:* {slack_escape(ticket.close_cause)}")
    return shorten("  ·  ".join(parts), 2900)[0]


def _controls(number: int, severity: Severity, status: Status) -> Block:
    value = str(number)
    options = [kit.option(s.label, s.value) for s in Severity]
    elements = [
        kit.button(control.label, control.key, value, primary=control.primary)
        for control in controls.BUTTONS
    ]
    elements.append(
        kit.static_select(
            controls.SEVERITY_ACTION,
            "Severidad",
            options,
            initial=next(o for o in options if o["value"] == severity.value),
        )
    )
    elements.append(
        kit.overflow(
            controls.OVERFLOW_ACTION,
            [
                kit.option(control.label, controls.overflow_value(control, number))
                for control in controls.more_for(status)
            ],
        )
    )
    return kit.actions(controls.block_id(number), elements)


def literal(text: str, pieces: int = MAX_LITERAL_PIECES) -> list[Block]:
    """Supplier text as rich-text blocks: shown exactly as typed (no mrkdwn, no mentions, no
    links), in pieces that fit, at most `pieces` of them (the caller says where the rest is)."""
    return [
        kit.rich_text([kit.text_part(piece)])
        for piece in filled_chunks(text, LITERAL_PIECE)[:pieces]
    ]


def labelled(facts: list[tuple[str, str]]) -> Block:
    """`Label: value` lines, labels in bold, values literal (they come from the supplier)."""
    parts: list[Block] = []
    for index, (label, value) in enumerate(facts):
        ending = "\n" if index < len(facts) - 1 else ""
        parts.append(kit.text_part(f"{label}: ", bold=True))
        parts.append(kit.text_part(shorten(value, 1000)[0] + ending))
    return kit.rich_text(parts)


def is_shortened_on_card(description: str) -> bool:
    return shorten(description, CARD_DESCRIPTION_LIMIT)[1]


def full_description(ticket: CardTicket, key: str) -> Message:
    """The whole description, for the card's thread when the card had to shorten it."""
    blocks: list[Block] = [
        kit.section("*Descripción completa del incidente*"),
        *literal(ticket.descripcion),
    ]
    if len(filled_chunks(ticket.descripcion, LITERAL_PIECE)) > MAX_LITERAL_PIECES:
        # Only a description that came another way than the form (10,000 characters) gets
        # here; what does not fit one message is said, not dropped silently.
        blocks.append(
            kit.context("_(la descripción sigue; véala con `/hib2b ver` o en la terminal)_")
        )
    return Message(
        text=f"Descripción completa de {ticket_code(ticket.number)}",
        blocks=blocks,
        metadata=thread_metadata(ticket.number, key),
        plain=f"Descripción completa de {ticket_code(ticket.number)}:\n{ticket.descripcion}",
    )


def event_message(number: int, key: str, text: str, quote: str = "") -> Message:
    """One event of the ticket, for the card's thread: `text` is ours (mrkdwn, already safe
    for Slack), `quote` what the supplier wrote (shown literally, in pieces)."""
    pieces = chunks(text, SECTION_LIMIT - 100)[:MAX_SECTIONS]
    blocks: list[Block] = [kit.section(p) for p in pieces]
    blocks += literal(quote)
    return Message(
        text=shorten(pieces[0], 300)[0] if pieces else ticket_code(number),
        blocks=blocks,
        metadata=thread_metadata(number, key),
        plain="\n".join(part for part in (text, quote) if part),
    )


REMINDER_ICONS = {
    "objetivo": ":hourglass_flowing_sand:",
    "por_vencer": ":warning:",
    "vencido": ":rotating_light:",
}


def lead_alert(
    number: int, clock: str, due: datetime, assignee: str | None, card: str, zone: str
) -> Message:
    """A clock past its deadline, told to a lead by DM, with a link to the card's thread."""
    code = ticket_code(number)
    link = f"<https://slack.com/archives/{card}|{code}>" if card else code
    text = (
        f":rotating_light: {link} · venció el plazo de {CLOCK_LABELS[clock]} "
        f"({slack_date(due, zone)}) · "
        + (f"lo tiene {mention(assignee)}." if assignee else "no lo tiene nadie.")
    )
    plain_due = due.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
    return Message(
        text=text,
        blocks=[kit.section(text)],
        metadata={},
        plain=f"{code} · venció el plazo de {CLOCK_LABELS[clock]} ({plain_due})",
    )


def reminder(
    number: int,
    key: str,
    clock: str,
    stage: str,
    due: datetime,
    assignee: str | None,
    leads: tuple[str, ...],
    zone: str,
) -> Message:
    """An SLA reminder: a thread reply broadcast to the channel, mentioning who must act."""
    code = ticket_code(number)
    who = mention(assignee) if assignee else "<!here>"
    verb = "venció" if stage == "vencido" else "vence"
    text = (
        f"{REMINDER_ICONS[stage]} *{code}* · {CLOCK_LABELS[clock]} · "
        f"*{STAGE_LABELS[stage]}* — {verb} {slack_date(due, zone)}. {who}"
    )
    if stage == "vencido" and leads:
        text += " · Líderes: " + " ".join(f"<@{lead}>" for lead in leads)
    plain_due = due.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
    return Message(
        text=text,
        blocks=[kit.section(text)],
        metadata=thread_metadata(number, key),
        plain=f"{code} · {CLOCK_LABELS[clock]} · {STAGE_LABELS[stage]} — {verb} {plain_due}"
        f" · {assignee or 'sin asignar'}",
        broadcast=True,
    )


def thread_metadata(number: int, key: str) -> dict:
    """Marks a thread message with its delivery key, so a retry after a crash finds it."""
    return {"event_type": THREAD_EVENT, "event_payload": {"ticket": number, "key": key}}


def card_as_text(ticket: CardTicket, zone: str) -> str:
    """The card for the log in local mode: what the channel would show, as plain lines."""
    local = ticket.created_at.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
    state = f"Estado: {Status(ticket.status).label}"
    if ticket.assignee:
        state += f"   Asignado a: {ticket.assignee}"
    lines = [
        f"{ticket_code(ticket.number)} · {INCIDENT_BY_KEY[ticket.tipo].label}",
        f"  Severidad: {Severity(ticket.severity).label}   {state}",
        f"  Proveedor: {ticket.usuario}   Correo: {ticket.correo}",
        f"  Liga portal: {ticket.liga_portal or '—'}   Recibido: {local}",
        "  Descripción: "
        + shorten(ticket.descripcion, CARD_DESCRIPTION_LIMIT)[0].replace("\n", "\n    "),
    ]
    if ticket.attachments:
        lines.append("  Adjuntos: " + ", ".join(ticket.attachments))
    lines.extend(f"  {line}" for line in invoices.invoice_text(ticket))
    return "\n".join(lines)
