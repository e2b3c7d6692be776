"""The card's «CFDI» sections and its «Posible duplicado» line. Pure.

Everything read from an XML is the supplier's (names can say anything): escaped for Slack and
shortened, so an invoice can neither ping the channel nor break the card's limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import cfdi, controls
from bot.domain.cfdi import Checks, Reading
from bot.domain.terms import ticket_code
from bot.domain.text import shorten, slack_escape
from bot.render import kit
from bot.render.kit import Block

if TYPE_CHECKING:
    from bot.render.card import CardTicket

FACT_LIMIT = 120  # characters of a name or value from the XML
SECTION_LIMIT = 2900


@dataclass(frozen=True)
class InvoiceView:
    name: str  # the attachment's display name
    reading: Reading
    findings: tuple[str, ...]


def views(files: Iterable[tuple[str, str | None]], checks: Checks) -> tuple[InvoiceView, ...]:
    """The invoices among a ticket's files (display name, stored reading), with their problems."""
    found = []
    for name, stored in files:
        if stored:
            reading = Reading.from_json(stored)
            found.append(InvoiceView(name, reading, cfdi.findings(reading, checks)))
    return tuple(found)


def _fact(text: str) -> str:
    return slack_escape(shorten(text, FACT_LIMIT)[0]) if text else "—"


def _party(rfc: str, name: str) -> str:
    return f"{_fact(rfc)} · {_fact(name)}" if name else _fact(rfc)


def facts(reading: Reading) -> list[str]:
    """What the invoice is, one line each (empty when it could not be read)."""
    if reading.unreadable:
        return []
    kind = cfdi.kind_label(reading)
    lines = [f"{_fact(reading.version)} · {_fact(kind)} · UUID `{_fact(reading.uuid)}`"]
    lines.append(f"Emisor: {_party(reading.issuer_rfc, reading.issuer_name)}")
    lines.append(f"Receptor: {_party(reading.receiver_rfc, reading.receiver_name)}")
    total = f"Total: {_fact(cfdi.money(reading))}"
    if reading.payments:
        total += f" · Pagos: {_fact(cfdi.money(Reading(read_at='', total=reading.payments)))}"
    if reading.stamped:
        total += f" · timbrado {_fact(cfdi.local_datetime(reading.stamped))}"
    lines.append(total)
    return lines


def invoice_blocks(invoices: tuple[InvoiceView, ...]) -> list[Block]:
    """One section per invoice: its facts, then each problem (or that none was found)."""
    blocks = []
    for view in invoices:
        lines = [f"*CFDI* «{_fact(view.name)}»", *facts(view.reading)]
        if view.findings:
            lines.extend(f":warning: {slack_escape(line)}" for line in view.findings)
        else:
            lines.append(":white_check_mark: Sello, esquema y RFC correctos")
        blocks.append(kit.section(shorten("\n".join(lines), SECTION_LIMIT)[0]))
    return blocks


def invoice_text(ticket: CardTicket) -> list[str]:
    """The same as lines of plain text (`/hib2b ver` outside Slack, the local log)."""
    lines = []
    if ticket.duplicate_hint:
        lines.append(f"Posible duplicado de {ticket_code(ticket.duplicate_hint)}")
    for view in ticket.invoices:
        lines.append(f"CFDI «{view.name}»")
        lines.extend(f"  {line}" for line in facts(view.reading))
        lines.extend(f"  ! {line}" for line in view.findings)
    return lines


def duplicate_block(number: int, original: int) -> Block:
    """«Posible duplicado de HD-N» with the one click that closes this one as its duplicate."""
    return {
        "type": "section",
        "block_id": f"duplicado:{number}",
        "text": kit.mrkdwn(
            f":twisted_rightwards_arrows: *Posible duplicado de {ticket_code(original)}* "
            "(la misma factura, o el mismo correo y tipo en 24 h)"
        ),
        "accessory": kit.button(
            "Cerrar como duplicado",
            controls.DUPLICATE_ACTION,
            controls.duplicate_value(number, original),
        ),
    }
