"""Use cases that change tickets. Each is one transaction: the ticket, its audit event and every
delivery it must cause are written together or not at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.cases import reports
from bot.cases.plans import Policies
from bot.domain import cfdi, clocks, deliveries
from bot.domain.attachments import Accepted
from bot.domain.change import Actor, Change, Refused
from bot.domain.form import FormValues
from bot.domain.promise import promise
from bot.domain.terms import INCIDENT_BY_KEY, SUSPENDIDO, Source, Status, ticket_code
from bot.render import email as mail
from bot.render import recipes, timeline
from bot.render.card import is_shortened_on_card
from store import mailbox, team, uploads
from store import outbox as queue
from store import sla as sla_store
from store import tickets as store
from store.db import Database
from store.models import Client, StoredFile, Ticket
from store.tickets import NewTicket


@dataclass(frozen=True)
class FormSubmission:
    """A supplier's report, from the form or any other way in."""

    form_id: str | None  # the form token's id, the API's idempotency, or None
    tipo: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    client_ip: str
    source: str = Source.FORMULARIO
    client: str | None = None
    triage: bool = False  # the client could not be told: someone must look
    suspended: bool = False  # the client's support is not current: no clock runs
    severity: str | None = None  # a technician's choice; else the incident type's default
    opened_by: str | None = None  # the technician who opened it
    contact_now: bool = False  # opened during a call: first contact is creation
    client_name: str = ""
    client_rfcs: tuple[str, ...] = ()  # its invoices' receiver must be one of these


def submission(values: FormValues, client: Client | None, **details: Any) -> FormSubmission:
    """A report's typed fields, plus what its client decides: whose it is, and whether support
    is current (a suspended client's ticket runs no clock)."""
    return FormSubmission(
        tipo=values.tipo,
        usuario=values.usuario,
        correo=values.correo,
        liga_portal=values.liga_portal,
        descripcion=values.descripcion,
        client=client.key if client else None,
        client_name=client.name if client else "",
        client_rfcs=client.rfcs if client else (),
        suspended=client is not None and client.status == SUSPENDIDO,
        **details,
    )


# Assigns a new ticket inside its creating transaction (`bot.cases.shifts`).
Assign = Callable[[aiosqlite.Connection, int, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Created:
    number: int
    new: bool  # False: this form had already made the ticket (double submit, back button)


async def create_from_form(
    db: Database,
    form: FormSubmission,
    now: datetime,
    mail_ctx: mail.MailContext,
    sla: clocks.SlaPolicy,
    assign: Assign | None = None,
) -> Created:
    """Store a supplier's report as a new ticket and queue its card, files and confirmation."""
    async with db.transaction() as conn:
        return await create_in(conn, form, now, mail_ctx, sla, assign=assign)


async def create_in(
    conn: aiosqlite.Connection,
    form: FormSubmission,
    now: datetime,
    mail_ctx: mail.MailContext,
    sla: clocks.SlaPolicy,
    files: list[StoredFile] | None = None,
    assign: Assign | None = None,
) -> Created:
    """`create_from_form` inside the caller's transaction. `files`: already stored ones (an
    email's attachments); by default those kept for the form."""
    incident = INCIDENT_BY_KEY[form.tipo]
    existing = await store.ticket_by_form(conn, form.form_id) if form.form_id else None
    if existing is not None:
        return Created(existing.number, new=False)
    number = await store.take_number(conn)
    if files is None:
        files = await uploads.claim_uploads(conn, form.form_id) if form.form_id else []
    message_id = mail.new_message_id(number, "creado", mail_ctx.mail_from)
    await store.insert_ticket(
        conn,
        number,
        NewTicket(
            created_at=now,
            source=form.source,
            form_id=form.form_id,
            tipo=form.tipo,
            severity=form.severity or incident.severity,
            status=Status.NUEVO,
            usuario=form.usuario,
            correo=form.correo,
            liga_portal=form.liga_portal,
            descripcion=form.descripcion,
            client_ip=form.client_ip,
            email_thread=message_id,
        ),
    )
    clock: dict = {}
    if not form.suspended:
        clock = clocks.first_contact_fields(now, sla)
        clock["sla_next_at"] = clock["fc_target_at"]
    await store.update_ticket(
        conn,
        number,
        {
            **clock,
            "client": form.client,
            "triage": int(form.triage),
            "sla_runs": int(not form.suspended),
            "opened_by": form.opened_by,
        },
    )
    if form.contact_now:
        ticket = await store.locked_ticket(conn, number)
        assert ticket is not None
        contacted = clocks.apply_fields(ticket, {"first_contact_at": now})
        timing = clocks.resolution_fields(ticket, contacted, sla, now)
        await store.update_ticket(
            conn,
            number,
            {
                "first_contact_at": now,
                **timing,
                "sla_next_at": clocks.next_reminder_at(
                    clocks.apply_fields(contacted, timing), set()
                ),
            },
        )
    attachment_ids = [await store.insert_attachment(conn, number, f) for f in files]
    hint = await store.possible_duplicate(
        conn,
        number,
        [f.cfdi_uuid for f in files if f.cfdi_uuid],
        form.correo,
        form.tipo,
        now - cfdi.DUPLICATE_WINDOW,
    )
    if hint is not None:
        await store.update_ticket(conn, number, {"duplicate_hint": hint})
    checks = cfdi.Checks(mail_ctx.invoice_max_age, form.client_name, form.client_rfcs)
    await store.add_audit(
        conn,
        number,
        now,
        form.opened_by or "proveedor",
        "creado",
        {
            "origen": form.source,
            "cliente": form.client,
            "ip": form.client_ip,
            "adjuntos": len(files),
        },
    )

    await queue.enqueue(conn, deliveries.card(number), now)  # first: the rest waits for it
    following = [deliveries.file(number, attachment_id) for attachment_id in attachment_ids]
    if is_shortened_on_card(form.descripcion):
        following.insert(0, deliveries.description(number))
    await queue.enqueue_many(conn, following, now)
    confirmation = recipes.confirmation_recipe(
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
        contact_by=clock.get("fc_due_at"),
        after_hours=not form.suspended and not sla.calendar.is_open(now),
        suspended=form.suspended,
        promise=promise(sla, now),
        invoice=cfdi.problems_of(((f.display_name, f.cfdi) for f in files), checks),
    )
    await queue_email(conn, number, "creado", None, message_id, form.correo, now, confirmation)
    if assign is not None and not form.suspended:
        await assign(conn, number, now)  # the round-robin, in the same transaction
    return Created(number, new=True)


async def set_next_number(db: Database, number: int, now: datetime, actor: str) -> None:
    """Continue an older series (the old tracker reached HD-165): only before the first ticket."""
    if number < 1:
        raise ValueError("the next number must be positive")
    async with db.transaction() as conn:
        await store.set_next_number(conn, number)
        await store.add_audit(conn, None, now, actor, "numeracion", {"siguiente": number})


@dataclass(frozen=True)
class Outcome:
    answer: str  # for the person who acted
    applied: bool
    ticket: Ticket | None = None
    settled: bool = False  # the change can move the SLA compliance figures


async def act(
    db: Database,
    number: int,
    actor: Actor,
    decide: Callable[[Ticket], Change],
    now: datetime,
    mail_ctx: mail.MailContext,
    policies: Policies,
    request_key: str | None = None,
    attachments: tuple[Accepted, ...] = (),
) -> Outcome:
    """Apply one technician action to a ticket, in one transaction with all it causes.

    `decide` is a `bot.workflow` rule bound to its arguments; it sees the ticket as it is now,
    inside `BEGIN IMMEDIATE`, so two racing actions are decided one after the other. A Slack
    request seen before (`request_key`) is not applied again.
    """
    async with db.transaction() as conn:
        if request_key and await store.request_applied(conn, request_key):
            return Outcome("Esa acción ya se aplicó.", applied=False)
        outcome = await act_in(conn, number, actor, decide, now, mail_ctx, policies, attachments)
        if request_key and outcome.applied:
            await store.remember_request(conn, request_key, now)
    return outcome


async def act_in(
    conn: aiosqlite.Connection,
    number: int,
    actor: Actor,
    decide: Callable[[Ticket], Change],
    now: datetime,
    mail_ctx: mail.MailContext,
    policies: Policies,
    attachments: tuple[Accepted, ...] = (),
) -> Outcome:
    """`act` inside the caller's transaction (inbound mail changes a ticket and records the
    message it came from in one transaction)."""
    ticket = await store.locked_ticket(conn, number)
    if ticket is None:
        raise Refused(f"No existe el ticket {ticket_code(number)}.")
    change = decide(ticket)
    if not change.applied:
        return Outcome(change.answer, applied=False, ticket=ticket)
    after = clocks.apply_fields(ticket, change.fields)
    sla = await policies.for_ticket(conn, ticket)
    timing = clocks.resolution_fields(ticket, after, sla, now)
    recorded = await sla_store.recorded(conn, number)
    next_at = clocks.next_reminder_at(clocks.apply_fields(after, timing), recorded)
    await store.update_ticket(
        conn,
        number,
        {
            **change.fields,
            **timing,
            "sla_next_at": next_at,
            "updated_at": now,
        },
    )
    event = await store.add_audit(conn, number, now, actor.user_id, change.action, change.detail)
    updated = await store.locked_ticket(conn, number)
    assert updated is not None
    await _queue_effects(conn, updated, actor, change, event, now, mail_ctx, attachments)
    return Outcome(
        change.answer, applied=True, ticket=updated, settled=reports.settles(ticket, updated)
    )


async def queue_email(
    conn: aiosqlite.Connection,
    ticket: int,
    purpose: str,
    event: int | None,
    message_id: str,
    recipient: str,
    now: datetime,
    content: mail.OutgoingMail | recipes.Recipe,
) -> None:
    """Queue an email of a ticket, remembering its Message-ID so replies find the ticket.
    `content`: the rendered email, or its recipe (rendered once by the email lane)."""
    payload: dict = {"message_id": message_id, "recipient": recipient}
    if isinstance(content, mail.OutgoingMail):
        payload["data"] = content.data
    else:
        payload["recipe"] = content
    await queue.enqueue(conn, deliveries.email(ticket, purpose, event, payload), now)
    await mailbox.remember_sent(conn, message_id, ticket)


async def _queue_effects(
    conn: aiosqlite.Connection,
    ticket: Ticket,
    actor: Actor,
    change: Change,
    event: int,
    now: datetime,
    mail_ctx: mail.MailContext,
    attachments: tuple[Accepted, ...],
) -> None:
    queued = [deliveries.card_update(ticket.number, event)]
    if change.thread:
        queued.append(deliveries.thread_event(ticket.number, event, change.thread, change.quote))
    await queue.enqueue_many(conn, queued, now)
    if change.email:
        message_id = mail.new_message_id(ticket.number, change.email, mail_ctx.mail_from)
        content = await _email(conn, ticket, actor, change, now, mail_ctx, attachments, message_id)
        await queue_email(
            conn, ticket.number, change.email, event, message_id, ticket.correo, now, content
        )


async def _email(
    conn: aiosqlite.Connection,
    ticket: Ticket,
    actor: Actor,
    change: Change,
    now: datetime,
    ctx: mail.MailContext,
    attachments: tuple[Accepted, ...],
    message_id: str,
) -> mail.OutgoingMail | recipes.Recipe:
    """The email a change sends: a recipe when the lane can render it later (nothing of it is
    only in memory), else rendered now (a technician's reply carries its files)."""
    to = mail.Envelope(ticket.number, ticket.usuario, ticket.correo, ticket.email_thread)
    technician = await team.name_of(
        conn, ticket.assignee if change.email == "asignado" else actor.user_id
    )
    if change.email == "asignado":
        return recipes.assigned_recipe(to, now, technician)
    if change.email == "respuesta":
        return mail.technician_reply(
            to, ctx, message_id, now, change.detail["texto"], technician, attachments
        )
    if change.email == "fusionado":
        return mail.merged(to, ctx, message_id, now, ticket_code(change.detail["en"]))
    if change.email == "duplicado":
        return mail.duplicated(to, ctx, message_id, now, ticket_code(change.detail["duplicado_de"]))
    if change.email == "reabierto":
        return mail.reopened(to, ctx, message_id, now, change.detail["motivo"])
    if change.email == "cerrado":
        audit = await store.audit_in(conn, ticket.number)
        return mail.closed(
            to,
            ctx,
            message_id,
            now,
            tipo=INCIDENT_BY_KEY[ticket.tipo].label,
            summary=ticket.close_summary or "",
            cause=ticket.close_cause or "",
            timeline=timeline.for_supplier(audit, ticket.first_contact_at, ctx.timezone),
        )
    raise ValueError(f"no email called {change.email!r}")
