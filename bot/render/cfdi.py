"""The card's «CFDI» sections and its «Posible duplicado» line. Pure.

Everything read from an XML is the sender's (a name can say anything): shown as literal rich
text, like the supplier's description, so it can neither format, ping nor add lines. The
invoices share one budget on the card: Slack refuses a message over about 13,000 characters,
and a card that is refused holds up everything queued after it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import cfdi, controls
from bot.domain.cfdi import Checks, Reading
from bot.domain.terms import Status, ticket_code
from bot.domain.text import shorten
from bot.render import kit
from bot.render.kit import Block
from store.models import Ticket

if TYPE_CHECKING:
    from bot.render.card import CardTicket

SHOWN = 5  # invoices drawn in full on a card; the rest are counted
FACT_LIMIT = 300  # characters of one fact (the reader already keeps names to 254)
INVOICE_LIMIT = 1000  # characters of one invoice's section
WARNING, OK = "⚠️ ", "✅ "


@dataclass(frozen=True)
class InvoiceView:
    name: str  # the attachment's display name
    reading: Reading
    findings: tuple[str, ...]
    receiver_checked: bool  # the client has RFCs to compare the receiver with


@dataclass(frozen=True)
class Hint:
    """An open ticket this one may repeat; the one-click close only for the same address
    (another person's ticket is not where this supplier's case continues)."""

    original: int
    same_supplier: bool


def views(files: Iterable[tuple[str, str | None]], checks: Checks) -> tuple[InvoiceView, ...]:
    """The invoices among a ticket's files (display name, stored reading), with their problems."""
    found = []
    for name, stored in files:
        if stored:
            reading = Reading.from_json(stored)
            found.append(
                InvoiceView(name, reading, cfdi.findings(reading, checks), bool(checks.client_rfcs))
            )
    return tuple(found)


def hint(ticket: Ticket, original: Ticket | None) -> Hint | None:
    """The «Posible duplicado» a card shows: only while the original is open."""
    if original is None or original.status == Status.CERRADO or ticket.status == Status.CERRADO:
        return None
    same = original.correo.strip().casefold() == ticket.correo.strip().casefold()
    return Hint(original.number, same)


def facts(reading: Reading) -> list[tuple[str, str]]:
    """What the invoice is, as (label, value) lines; none when it could not be read."""
    if reading.unreadable or reading.unchecked:
        return []
    kind = cfdi.kind_label(reading)
    total = cfdi.money(reading.total, reading.currency)
    if reading.payments:
        total += f" · pagos: {cfdi.money(reading.payments, 'MXN')}"
    if reading.stamped:
        total += f" · timbrado {cfdi.local_datetime(reading.stamped)}"
    lines = [
        ("Versión", f"{reading.version or '—'} · {kind or '—'}"),
        ("UUID", reading.uuid or "(sin timbre)"),
        ("Emisor", _party(reading.issuer_rfc, reading.issuer_name)),
        ("Receptor", _party(reading.receiver_rfc, reading.receiver_name)),
        ("Total", total),
    ]
    return [(label, shorten(value, FACT_LIMIT)[0]) for label, value in lines]


def _party(rfc: str, name: str) -> str:
    return " · ".join(filter(None, (rfc, name))) or "—"


def _verdict(view: InvoiceView) -> str:
    if view.findings:
        return "\n".join(WARNING + line for line in view.findings)
    checked = "Sello del emisor, esquema y RFC del receptor correctos"
    if not view.receiver_checked:
        checked = (
            "Sello del emisor y esquema correctos (sin RFC del cliente para revisar el receptor)"
        )
    return OK + checked


def invoice_blocks(invoices: tuple[InvoiceView, ...], number: int) -> list[Block]:
    """One rich-text section per invoice (at most `SHOWN`): its facts, then each problem or
    what was found right."""
    blocks = []
    for view in invoices[:SHOWN]:
        parts = [kit.text_part(f"CFDI «{view.name}»\n", bold=True)]
        for label, value in facts(view.reading):
            parts += [kit.text_part(f"{label}: ", bold=True), kit.text_part(value + "\n")]
        budget = INVOICE_LIMIT - sum(len(part["text"]) for part in parts)
        parts.append(kit.text_part(shorten(_verdict(view), max(budget, 200))[0]))
        blocks.append(kit.rich_text(parts))
    if len(invoices) > SHOWN:
        more = len(invoices) - SHOWN
        blocks.append(
            kit.context(f"… y {more} XML más: `hib2b ver {ticket_code(number)}` los muestra todos")
        )
    return blocks


def invoice_text(ticket: CardTicket) -> list[str]:
    """All of it as plain lines (`hib2b ver` in the terminal, the local log)."""
    lines = []
    if ticket.duplicate_hint is not None:
        lines.append(f"Posible duplicado de {ticket_code(ticket.duplicate_hint.original)}")
    for view in ticket.invoices:
        lines.append(f"CFDI «{view.name}»")
        lines.extend(f"  {label}: {value}" for label, value in facts(view.reading))
        lines.extend(f"  ! {line}" for line in view.findings)
    return lines


def duplicate_block(number: int, found: Hint) -> Block:
    """«Posible duplicado de HD-N»; with the same supplier, the one click that closes this one
    as its duplicate (asked to confirm: it emails the supplier)."""
    original = ticket_code(found.original)
    if not found.same_supplier:
        return kit.context(
            f":twisted_rightwards_arrows: *Posible duplicado de {original}*, de otro correo "
            f"(la misma factura): si es el mismo caso, `cerrar {ticket_code(number)} duplicado "
            f"{original}`"
        )
    button = kit.button(
        "Cerrar como duplicado",
        controls.DUPLICATE_ACTION,
        controls.duplicate_value(number, found.original),
    )
    button["confirm"] = {
        "title": kit.plain("¿Cerrar como duplicado?"),
        "text": kit.mrkdwn(
            f"{ticket_code(number)} se cierra como duplicado de {original} y se avisa al "
            "proveedor por correo."
        ),
        "confirm": kit.plain("Cerrar"),
        "deny": kit.plain("Cancelar"),
    }
    return {
        "type": "section",
        "block_id": f"duplicado:{number}",
        "text": kit.mrkdwn(
            f":twisted_rightwards_arrows: *Posible duplicado de {original}* (la misma factura, "
            "o el mismo correo y tipo en 24 h)"
        ),
        "accessory": button,
    }
