"""Requests that only read: help, a ticket, lists, the SLA, and the modals a control opens
(checked first, so nobody fills in a form that will be refused)."""

from __future__ import annotations

from functools import partial

from bot.cases import lookups, replies
from bot.cases.parts import Parts
from bot.commands.reply import Asked, Reply
from bot.commands.usage import USAGE, form_hint
from bot.domain import cfdi
from bot.domain import requests as r
from bot.domain.change import Refused
from bot.domain.requests import Form, Listing
from bot.domain.terms import Status, ticket_code
from bot.domain.text import slack_escape
from bot.render import answers, modals, sla
from bot.render.card import card_ticket, detail, slack_date
from bot.render.cfdi import invoice_text
from bot.render.email import local_time
from store.models import Client, Ticket


async def help_(parts: Parts, asked: Asked, request: r.Help) -> Reply:
    if request.unknown:
        unknown = answers.safe(request.unknown, asked.for_slack)
        return Reply(f"No conozco «{unknown}». {USAGE}", refused=True)
    return Reply(USAGE)


async def show(parts: Parts, asked: Asked, request: r.Show) -> Reply:
    found = await lookups.ticket_and_files(parts.db, request.number)
    if found is None:
        raise Refused(f"No existe el ticket {ticket_code(request.number)}.")
    ticket, attachments = found
    zone = parts.settings.timezone
    names = [a.display_name for a in attachments]
    text = answers.describe(ticket, names, zone, asked.for_slack)
    client = await lookups.client(parts.db, ticket.client) if ticket.client else None
    checks = cfdi.checks_for(client, parts.mail_ctx.invoice_max_age)
    hinted = ticket.duplicate_hint
    original = await lookups.ticket(parts.db, hinted) if hinted else None
    shown = card_ticket(ticket, attachments, client.name if client else "", checks, original)
    if not asked.for_slack:
        return Reply("\n".join([text, *invoice_text(shown)]))
    # In Slack, the card itself (without its buttons): the supplier's words stay literal.
    return Reply(text, blocks=detail(shown, zone))


async def list_tickets(parts: Parts, asked: Asked, request: r.ListTickets) -> Reply:
    client = await _client(parts, request.client)
    key = client.key if client else None
    if request.which is Listing.BREACHED:
        tickets, total = await lookups.breached_page(parts.db, parts.now(), answers.MAX_LIST, key)
    else:
        tickets, total = await lookups.open_page(
            parts.db,
            answers.MAX_LIST,
            assignee=asked.actor.user_id if request.which is Listing.MINE else None,
            unassigned=request.which is Listing.UNASSIGNED,
            client=key,
        )
    title = answers.LIST_TITLES[request.which]
    if client is not None:
        title += f" de {slack_escape(client.name)}"
    return Reply(answers.ticket_list(title, tickets, total, asked.for_slack))


async def sla_status(parts: Parts, asked: Asked, request: r.SlaStatus) -> Reply:
    zone, now, policies = parts.settings.timezone, parts.now(), parts.policies
    if request.publish and not asked.actor.is_lead:
        raise Refused("Publicar el estado del SLA en el canal es para los líderes.")
    slack_when = partial(slack_date, zone=zone)
    when = slack_when if asked.for_slack else partial(local_time, zone=zone)
    if request.number is not None:
        ticket = await ticket_of(parts, request.number)
        audit, reminders, policy = await lookups.sla_history(parts.db, policies, ticket)
        return Reply(sla.explain(ticket, audit, reminders, policy, now, when))
    client = await _client(parts, request.client)
    policy = policies.for_plan(client.plan) if client else policies.default
    report = await parts.reports.get(parts.db, policy, now, client.key if client else None)
    title = f"SLA de {client.name}" if client else "SLA de la mesa de ayuda"
    shown = slack_when if request.publish else when
    message = parts.reports.derived(
        report, (title, shown is slack_when), lambda: sla.render(report, shown, title)
    )
    if request.publish:
        return Reply("Publiqué el estado del SLA en el canal de soporte.", publish=message)
    return Reply(message.text if asked.for_slack else message.plain, blocks=message.blocks)


async def open_form(parts: Parts, asked: Asked, request: r.OpenForm) -> Reply:
    """A modal (Slack), or what to type instead (the command line), once it is clear the
    person may use it."""
    actor, form, context = asked.actor, request.form, asked.context
    hint = form_hint(form, request.number)
    if form is Form.NEW:
        if actor.role is None:
            raise Refused("Solo el equipo de soporte puede abrir tickets desde aquí.")
        known = [(c.key, c.name) for c in await lookups.clients(parts.db)]
        return Reply(hint, modals.new_ticket_modal(known, context))
    ticket = await ticket_of(parts, request.number)
    if actor.role is None:
        raise Refused("Solo el equipo de soporte puede cambiar tickets.")
    card = card_ticket(ticket, [])
    if form is Form.NOTE:  # notes are allowed on closed tickets too
        return Reply(hint, modals.note_modal(card, context))
    if form is Form.REOPEN:
        if ticket.status != Status.CERRADO:
            raise Refused(f"{ticket_code(ticket.number)} está abierto.")
        return Reply(hint, modals.reopen_modal(card, context))
    if ticket.status == Status.CERRADO:
        raise Refused(f"{ticket_code(ticket.number)} está cerrado.")
    if form is Form.ASSIGN and not actor.is_lead:
        raise Refused("Solo un líder puede asignar tickets a otra persona.")
    if form is Form.REPLY:
        names = tuple(name for name, _ in await replies.listed(parts))
        return Reply(hint, modals.reply_modal(card, context, names))
    build = {
        Form.CLOSE: modals.close_modal,
        Form.CALL: modals.call_modal,
        Form.ASSIGN: modals.assign_modal,
    }[form]
    return Reply(hint, build(card, context))


async def ticket_of(parts: Parts, number: int) -> Ticket:
    ticket = await lookups.ticket(parts.db, number)
    if ticket is None:
        raise Refused(f"No existe el ticket {ticket_code(number)}.")
    return ticket


async def _client(parts: Parts, key: str | None) -> Client | None:
    if key is None:
        return None
    client = await lookups.client(parts.db, key)
    if client is None:
        raise Refused(f"No existe el cliente `{key}`.")
    return client


async def search(parts: Parts, asked: Asked, request: r.Search) -> Reply:
    if not request.text:
        raise Refused("Escriba qué buscar: `/hib2b buscar factura A-123`.")
    found = await lookups.search(parts.db, request.text, answers.SEARCH_SHOWN)
    shown = answers.safe(request.text[:80], asked.for_slack)
    if not found:
        return Reply(f"Ningún ticket coincide con «{shown}».")
    title = f"Tickets que coinciden con «{shown}»"
    return Reply(answers.ticket_list(title, found, len(found), asked.for_slack))


HANDLERS = {
    r.Help: help_,
    r.Show: show,
    r.ListTickets: list_tickets,
    r.SlaStatus: sla_status,
    r.OpenForm: open_form,
    r.Search: search,
}
