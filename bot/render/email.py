"""Emails to the supplier, rendered from templates. Pure (the senders are in
`bot.delivery.smtp`).

Messages are rendered once, when the ticket's transaction queues them, and stored whole: a
resend after a crash is byte for byte the same email, Message-ID included, so mail clients
show it once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.domain.attachments import Accepted
from bot.domain.promise import Promise
from bot.domain.terms import INCIDENT_BY_KEY, ticket_code
from bot.domain.text import header_safe

_templates = Environment(
    loader=PackageLoader("bot", "templates/mail"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
DEFAULT_FIRST_CONTACT = "dentro de 1 a 4 horas hábiles"
DEFAULT_SCHEDULE = (
    "de lunes a viernes de 9:00 a 18:00, hora del centro de México, excepto días festivos"
)


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    recipient: str
    data: str  # the whole message, CRLF line ends


@dataclass(frozen=True)
class MailContext:
    """What every email of a ticket needs to know besides the ticket."""

    mail_from: str
    reply_to: str
    support_address: str
    timezone: str
    privacy_url: str = ""  # absolute: the “Aviso de privacidad” link at the foot of every email
    # A closed ticket's five signed rating links (1 to 5); None: the email asks for none.
    rating_links: Callable[[int], list[str]] | None = None
    # The signed address of the ticket's page, in every email; None: not linked.
    ticket_link: Callable[[int], str] | None = None
    # An invoice stamped longer than this before it arrived is flagged (HIB2B_CFDI_MAX_AGE).
    invoice_max_age: timedelta = timedelta(hours=72)


@dataclass(frozen=True)
class TicketFacts:
    number: int
    created_at: datetime
    tipo: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    attachments: tuple[str, ...]


def _domain(address: str) -> str:
    local, at, domain = parseaddr(address)[1].rpartition("@")
    return domain if at and local and domain else "localhost"


def new_message_id(number: int, purpose: str, mail_from: str) -> str:
    # Short enough that the header is never folded (some clients mishandle folded ids).
    return f"<{ticket_code(number).lower()}.{purpose}.{secrets.token_hex(8)}@{_domain(mail_from)}>"


def local_time(moment: datetime, zone: str) -> str:
    return (
        moment.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")
        + " (hora del centro de México)"
    )


@dataclass(frozen=True)
class Envelope:
    """Who an email of a ticket goes to, and the thread it belongs to."""

    number: int
    usuario: str
    correo: str
    thread: str | None = None  # Message-ID of the ticket's first email


_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


def spanish_datetime(moment: datetime, zone: str) -> str:
    """“el lunes 23 de noviembre de 2026 a las 12:00 (hora del centro de México)”."""
    local = moment.astimezone(ZoneInfo(zone))
    return (
        f"el {_DAYS[local.weekday()]} {local.day} de {_MONTHS[local.month - 1]} de "
        f"{local.year} a las {local:%H:%M} (hora del centro de México)"
    )


def confirmation(
    ticket: TicketFacts,
    ctx: MailContext,
    message_id: str,
    contact_by: datetime | None = None,
    after_hours: bool = False,
    suspended: bool = False,
    promise: Promise | None = None,
    invoice: tuple[str, ...] = (),
) -> OutgoingMail:
    """Step 8 of the manual: the ticket number, a summary of the report, the support address,
    and by when a specialist will be in touch — in the words of the ticket's own plan
    (`promise`; None: the default plan's, for a confirmation queued before plans had words)."""
    if promise is None:
        promise = Promise(DEFAULT_FIRST_CONTACT, DEFAULT_SCHEDULE, None)
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    return _render(
        "confirmacion",
        Envelope(ticket.number, ticket.usuario, ticket.correo),
        ctx,
        f"Ticket generado: {tipo}",
        message_id,
        ticket.created_at,
        received=local_time(ticket.created_at, ctx.timezone),
        tipo=tipo,
        liga_portal=ticket.liga_portal,
        descripcion=ticket.descripcion,
        adjuntos=ticket.attachments,
        contact_by=spanish_datetime(contact_by, ctx.timezone) if contact_by else "",
        after_hours=after_hours,
        suspended=suspended,
        first_contact=promise.first_contact,
        schedule=promise.schedule,
        starts_at=spanish_datetime(promise.starts_at, ctx.timezone) if promise.starts_at else "",
        factura=invoice,
    )


def merged(
    to: Envelope, ctx: MailContext, message_id: str, at: datetime, target: str
) -> OutgoingMail:
    """A's supplier, once: the same problem is being handled in `target`."""
    return _render(
        "fusionado", to, ctx, f"Su solicitud continúa en {target}", message_id, at, target=target
    )


def duplicated(
    to: Envelope, ctx: MailContext, message_id: str, at: datetime, original: str
) -> OutgoingMail:
    """Closed as a duplicate: where the same case is handled, and that a reply reopens it."""
    return _render(
        "duplicado",
        to,
        ctx,
        f"Su solicitud se atiende en {original}",
        message_id,
        at,
        target=original,
    )


def assigned(
    to: Envelope, ctx: MailContext, message_id: str, at: datetime, technician: str
) -> OutgoingMail:
    """The manual's “notificación subsecuente”: a technician has the case."""
    return _render(
        "asignado", to, ctx, "Técnico asignado a su ticket", message_id, at, technician=technician
    )


def technician_reply(
    to: Envelope,
    ctx: MailContext,
    message_id: str,
    at: datetime,
    text: str,
    technician: str,
    attachments: tuple[Accepted, ...] = (),
) -> OutgoingMail:
    # Written by a person: no Auto-Submitted, so the supplier's auto-replies still answer.
    return _render(
        "respuesta",
        to,
        ctx,
        "Respuesta de Soporte HIB2B",
        message_id,
        at,
        auto=False,
        attachments=attachments,
        text=text,
        technician=technician,
    )


def reopened(
    to: Envelope, ctx: MailContext, message_id: str, at: datetime, reason: str
) -> OutgoingMail:
    return _render("reabierto", to, ctx, "Su ticket fue reabierto", message_id, at, reason=reason)


def closed(
    to: Envelope,
    ctx: MailContext,
    message_id: str,
    at: datetime,
    *,
    tipo: str,
    summary: str,
    cause: str,
    timeline: list[tuple[str, str]],
) -> OutgoingMail:
    """Step 10: the closing summary, from the ticket's creation to its resolution, and
    «¿Cómo le atendimos?» with the five rating links."""
    ratings = ctx.rating_links(to.number) if ctx.rating_links else []
    return _render(
        "cerrado",
        to,
        ctx,
        "Resumen de cierre de su ticket",
        message_id,
        at,
        tipo=tipo,
        summary=summary,
        cause=cause,
        timeline=timeline,
        ratings=ratings,
    )


def _render(
    template: str,
    to: Envelope,
    ctx: MailContext,
    subject: str,
    message_id: str,
    at: datetime,
    *,
    auto: bool = True,
    attachments: tuple[Accepted, ...] = (),
    **values: object,
) -> OutgoingMail:
    code = ticket_code(to.number)
    values.update(
        code=code,
        usuario=to.usuario,
        support_address=ctx.support_address,
        privacy_url=ctx.privacy_url,
        ticket_url=ctx.ticket_link(to.number) if ctx.ticket_link else "",
    )
    text = _templates.get_template(f"{template}.txt").render(values)
    html = _templates.get_template(f"{template}.html").render(values)
    body: MIMEBase = MIMEMultipart(
        "alternative", _subparts=[_text(text, "plain"), _text(html, "html")]
    )
    if attachments:
        _inner(body)
        body = MIMEMultipart("mixed", _subparts=[body, *map(_attachment, attachments)])
    addressee = recipient(to.usuario, to.correo)
    body["Subject"] = _header(f"[{code}] {subject}")
    body["From"] = _address(*parseaddr(ctx.mail_from))
    body["To"] = _address(addressee.display_name, addressee.addr_spec)
    body["Reply-To"] = _address(*parseaddr(ctx.reply_to))
    body["Date"] = format_datetime(at.astimezone(ZoneInfo(ctx.timezone)))
    body["Message-ID"] = header_safe(message_id)
    if to.thread and to.thread != message_id:
        body["In-Reply-To"] = header_safe(to.thread)
        body["References"] = header_safe(to.thread)
    if auto:
        body["Auto-Submitted"] = "auto-generated"
    body["X-HiB2B-Ticket"] = code
    return OutgoingMail(message_id, to.correo, body.as_string(policy=_CRLF))


# The message is composed with the email package's classic classes: the modern `EmailMessage`
# parses and re-folds every header it is given and was a third of the service's CPU during a
# burst of forms (2.1 ms a message; this, 0.7 ms). Every header value below is one line
# (`header_safe`) and encoded when it is not ASCII, so the output is the same kind of message.
_CRLF = compat32.clone(linesep="\r\n")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # Spanish text stays readable in the raw message


def _text(content: str, subtype: str) -> MIMEBase:
    return _inner(MIMEText(content, subtype, _UTF8_QP))


def _inner(part: MIMEBase) -> MIMEBase:
    # Only the message itself says which MIME version it is.
    del part["MIME-Version"]
    return part


def _attachment(file: Accepted) -> MIMEBase:
    maintype, _, subtype = file.content_type.partition("/")
    if maintype == "text":
        # Bytes lose their charset as an attachment; keep the file as it was.
        maintype, subtype = "application", "octet-stream"
    part = _inner(MIMEBase(maintype, subtype or "octet-stream"))
    part.set_payload(file.data)
    encode_base64(part)
    name = header_safe(file.name) or "archivo"
    part.add_header(
        "Content-Disposition",
        "attachment",
        filename=name if name.isascii() else ("utf-8", "", name),
    )
    return part


def _header(text: str) -> str | Header:
    line = header_safe(text)
    return line if line.isascii() else Header(line, "utf-8")


def _address(name: str, address: str) -> str:
    return formataddr((header_safe(name), header_safe(address)), charset="utf-8")


_ADDRESS_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]+')


def recipient(name: str, address: str) -> Address:
    """The one `To` of a supplier's email. The name keeps only what cannot be quoted: Python
    folds a long quoted name and drops its quotes, and `Razón, S.A. <x@evil>` would become a
    second recipient. Without specials a name is plain words (or encoded words when accented),
    which folding never splits into addresses."""
    words = _ADDRESS_SPECIALS.sub(" ", header_safe(name)).split()
    display = " ".join(words)[:64].strip()
    return Address(display_name=display, addr_spec=address)
