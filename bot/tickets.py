"""Use cases that change tickets. Each is one transaction: the ticket, its audit event and every
delivery it must cause are written together or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import blocks, mail
from bot.deliveries import CARD, DESCRIPTION, EMAIL, FILE
from bot.domain import INCIDENT_BY_KEY, Source, Status, ticket_code
from store import outbox as queue
from store import tickets as store
from store import uploads
from store.db import Database
from store.outbox import NewDelivery
from store.tickets import NewTicket


@dataclass(frozen=True)
class FormSubmission:
    form_id: str
    tipo: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    client_ip: str


@dataclass(frozen=True)
class Created:
    number: int
    new: bool  # False: this form had already made the ticket (double submit, back button)


def card_key(number: int) -> str:
    return f"{ticket_code(number).lower()}:card"


async def create_from_form(
    db: Database, form: FormSubmission, now: datetime, mail_ctx: mail.MailContext
) -> Created:
    """Store a supplier's report as a new ticket and queue its card, files and confirmation."""
    incident = INCIDENT_BY_KEY[form.tipo]
    async with db.transaction() as conn:
        existing = await store.ticket_by_form(conn, form.form_id)
        if existing is not None:
            return Created(existing.number, new=False)
        number = await store.take_number(conn)
        files = await uploads.claim_uploads(conn, form.form_id)
        message_id = mail.new_message_id(number, "creado", mail_ctx.mail_from)
        await store.insert_ticket(
            conn,
            number,
            NewTicket(
                created_at=now,
                source=Source.FORMULARIO,
                form_id=form.form_id,
                tipo=form.tipo,
                severity=incident.severity,
                status=Status.NUEVO,
                usuario=form.usuario,
                correo=form.correo,
                liga_portal=form.liga_portal,
                descripcion=form.descripcion,
                client_ip=form.client_ip,
                email_thread=message_id,
            ),
        )
        attachment_ids = [await store.insert_attachment(conn, number, f) for f in files]
        await store.add_audit(
            conn,
            number,
            now,
            "proveedor",
            "creado",
            {
                "origen": Source.FORMULARIO,
                "ip": form.client_ip,
                "adjuntos": len(files),
            },
        )

        code = ticket_code(number).lower()
        card = card_key(number)
        await queue.enqueue(conn, NewDelivery(card, "slack", CARD, number, {}), now)
        if blocks.is_shortened_on_card(form.descripcion):
            await queue.enqueue(
                conn,
                NewDelivery(f"{code}:description", "slack", DESCRIPTION, number, {}, after=card),
                now,
            )
        for attachment_id in attachment_ids:
            await queue.enqueue(
                conn,
                NewDelivery(
                    f"{code}:file:{attachment_id}",
                    "slack",
                    FILE,
                    number,
                    {"attachment": attachment_id},
                    after=card,
                ),
                now,
            )
        confirmation = mail.confirmation(
            mail.TicketFacts(
                number=number,
                created_at=now,
                tipo=form.tipo,
                usuario=form.usuario,
                correo=form.correo,
                liga_portal=form.liga_portal,
                descripcion=form.descripcion,
                attachments=tuple(f.display_name for f in files),
            ),
            mail_ctx,
            message_id,
        )
        await queue.enqueue(
            conn,
            NewDelivery(
                f"{code}:mail:creado",
                "email",
                EMAIL,
                number,
                {
                    "message_id": confirmation.message_id,
                    "recipient": confirmation.recipient,
                    "data": confirmation.data,
                },
            ),
            now,
        )
    return Created(number, new=True)


async def set_next_number(db: Database, number: int, now: datetime, actor: str) -> None:
    """Continue an older series (the old tracker reached HD-165): only before the first ticket."""
    if number < 1:
        raise ValueError("the next number must be positive")
    async with db.transaction() as conn:
        await store.set_next_number(conn, number)
        await store.add_audit(conn, None, now, actor, "numeracion", {"siguiente": number})
