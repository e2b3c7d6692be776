"""Requests that change a ticket: each is one workflow rule, applied by `bot.cases.tickets` in
one transaction with everything it causes; and a ticket a technician opens for a supplier."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.cases import lookups, replies, team
from bot.cases import merge as merging
from bot.cases.intake import opened_by_technician
from bot.cases.parts import Parts
from bot.cases.tickets import act
from bot.commands.reply import Asked, Reply
from bot.domain import requests as r
from bot.domain import workflow
from bot.domain.attachments import Accepted
from bot.domain.change import Change, Refused
from bot.domain.terms import Status, ticket_code
from bot.render import modals
from bot.render.card import card_ticket
from store.models import Ticket

Decide = Callable[[Ticket], Change]


async def _apply(
    parts: Parts,
    asked: Asked,
    number: int,
    decide: Decide,
    attachments: tuple[Accepted, ...] = (),
) -> Reply:
    """One rule on one ticket; a refusal propagates (the dispatcher answers it)."""
    outcome = await act(
        parts.db,
        number,
        asked.actor,
        decide,
        parts.now(),
        parts.mail_ctx,
        parts.policies,
        request_key=asked.key,
        attachments=attachments,
    )
    if outcome.applied:
        parts.wake_outbox(settled=outcome.settled)
    return Reply(outcome.answer)


async def claim(parts: Parts, asked: Asked, request: r.Claim) -> Reply:
    actor, now = asked.actor, parts.now()
    target = request.target or actor.user_id
    name = request.target_name if request.target else actor.name
    on_team = True
    if target != actor.user_id:
        on_team = (await team.actor_for(parts.db, parts.settings, target)).role is not None
    return await _apply(
        parts,
        asked,
        request.number,
        lambda t: workflow.claim(t, actor, target, now, name, on_team),
    )


async def release(parts: Parts, asked: Asked, request: r.Release) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(parts, asked, request.number, lambda t: workflow.release(t, actor, now))


async def reply(parts: Parts, asked: Asked, request: r.Reply) -> Reply:
    """Email the supplier (the reply modal, with its files, and `responder HD-N texto`); with
    a template, its text filled for the ticket goes above what was written."""
    actor, now, text = asked.actor, parts.now(), request.text
    if request.template:
        ticket = await lookups.ticket(parts.db, request.number)
        if ticket is None:
            raise Refused(f"No existe el ticket {ticket_code(request.number)}.")
        if actor.role is None:
            raise Refused("Solo el equipo de soporte puede responder.")
        filled = await replies.filled(parts, request.template, ticket, actor)
        text = f"{filled}\n\n{text}" if text else filled
        if request.review and asked.for_slack:
            # Read before it goes: the reply modal, filled in.
            names = tuple(name for name, _ in await replies.listed(parts))
            modal = modals.reply_modal(card_ticket(ticket, []), asked.context, names, filled)
            return Reply("Revise la respuesta antes de enviarla.", modal)
    names = tuple(f.name for f in request.files)
    return await _apply(
        parts,
        asked,
        request.number,
        lambda t: workflow.reply(t, actor, text, now, names),
        attachments=request.files,
    )


async def note(parts: Parts, asked: Asked, request: r.Note) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(
        parts, asked, request.number, lambda t: workflow.note(t, actor, request.text, now)
    )


async def call(parts: Parts, asked: Asked, request: r.Call) -> Reply:
    actor, now = asked.actor, parts.now()
    at = None
    if request.at is not None:
        zone = ZoneInfo(parts.settings.timezone)
        at = datetime.combine(now.astimezone(zone).date(), request.at, zone)
    return await _apply(
        parts, asked, request.number, lambda t: workflow.call(t, actor, request.text, now, at)
    )


async def set_severity(parts: Parts, asked: Asked, request: r.SetSeverity) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(
        parts,
        asked,
        request.number,
        lambda t: workflow.set_severity(t, actor, request.severity, request.reason, now),
    )


async def wait(parts: Parts, asked: Asked, request: r.Wait) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(
        parts, asked, request.number, lambda t: workflow.wait(t, actor, request.reason, now)
    )


async def resume(parts: Parts, asked: Asked, request: r.Resume) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(parts, asked, request.number, lambda t: workflow.resume(t, actor, now))


async def close(parts: Parts, asked: Asked, request: r.Close) -> Reply:
    """The close modal and `cerrar HD-N …` both end here."""
    original = request.duplicate_of
    found = await lookups.ticket(parts.db, original) if original is not None else None
    exists = found is not None
    if found is not None and request.only_if_open and found.status == Status.CERRADO:
        # The card's button was drawn while the original was open: it no longer says where
        # this supplier's case continues.
        raise Refused(
            f"{ticket_code(found.number)} ya se cerró: revise el caso antes de cerrar "
            f"{ticket_code(request.number)} (`cerrar {ticket_code(request.number)} …`)."
        )
    actor, now = asked.actor, parts.now()
    return await _apply(
        parts,
        asked,
        request.number,
        lambda t: workflow.close(
            t,
            actor,
            kind=request.kind,
            cause=request.cause,
            cause_text=request.cause_text,
            summary=request.summary,
            duplicate_of=original,
            original_exists=exists,
            now=now,
        ),
    )


async def reopen(parts: Parts, asked: Asked, request: r.Reopen) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(
        parts, asked, request.number, lambda t: workflow.reopen(t, actor, request.reason, now)
    )


async def accept(parts: Parts, asked: Asked, request: r.Accept) -> Reply:
    actor, now = asked.actor, parts.now()
    return await _apply(parts, asked, request.number, lambda t: workflow.accept(t, actor, now))


async def open_ticket(parts: Parts, asked: Asked, request: r.OpenTicket) -> Reply:
    """A ticket a technician opens for a supplier who phoned or wrote (the modal and the
    command line). The supplier gets the same confirmation as from the form."""
    if asked.actor.role is None:
        raise Refused("Solo el equipo de soporte puede abrir tickets desde aquí.")
    outcome = await opened_by_technician(parts, asked.actor.user_id, request.fields, asked.key)
    if isinstance(outcome, dict):
        return Reply(" ".join(outcome.values()), refused=True, errors=outcome)
    return Reply(
        f"Creé {ticket_code(outcome.number)}; el proveedor recibirá la confirmación por correo."
    )


async def merge(parts: Parts, asked: Asked, request: r.Merge) -> Reply:
    outcome = await merging.merge(parts, asked.actor, request.source, request.target, asked.key)
    return Reply(outcome.answer)


HANDLERS = {
    r.Claim: claim,
    r.Release: release,
    r.Reply: reply,
    r.Note: note,
    r.Call: call,
    r.Merge: merge,
    r.SetSeverity: set_severity,
    r.Wait: wait,
    r.Resume: resume,
    r.Close: close,
    r.Reopen: reopen,
    r.Accept: accept,
    r.OpenTicket: open_ticket,
}
