"""Emails queued as a recipe and rendered once, when the email lane first takes them.

Rendering a MIME message costs 4–7 ms (Python's header parsing and folding), and a ticket's
transaction holds the database's write lock: rendered there, the confirmation was three
quarters of intake's time and kept cards from flowing during bursts. So the transaction queues
what the email says (JSON, cheap) with its Message-ID (threading works at once); the lane
renders it and keeps the bytes on the row before the first try, so a resend is byte for byte
the same email. Pure: recipes in, `OutgoingMail` out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.promise import Promise
from bot.render.email import (
    Envelope,
    MailContext,
    OutgoingMail,
    TicketFacts,
    assigned,
    confirmation,
)

Recipe = dict[str, Any]


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _promise(kept: dict[str, Any] | None) -> Promise | None:
    # None: queued before confirmations carried their plan's promise (the default words).
    if kept is None:
        return None
    return Promise(kept["first_contact"], kept["schedule"], _at(kept["starts_at"]))


def confirmation_recipe(
    ticket: TicketFacts,
    contact_by: datetime | None,
    after_hours: bool,
    suspended: bool,
    promise: Promise | None = None,
    invoice: tuple[str, ...] = (),
) -> Recipe:
    return {
        "email": "confirmacion",
        "ticket": {
            "number": ticket.number,
            "created_at": ticket.created_at.isoformat(),
            "tipo": ticket.tipo,
            "usuario": ticket.usuario,
            "correo": ticket.correo,
            "liga_portal": ticket.liga_portal,
            "descripcion": ticket.descripcion,
            "attachments": list(ticket.attachments),
        },
        "contact_by": _when(contact_by),
        "after_hours": after_hours,
        "suspended": suspended,
        "invoice": list(invoice),
        "promise": None
        if promise is None
        else {
            "first_contact": promise.first_contact,
            "schedule": promise.schedule,
            "starts_at": _when(promise.starts_at),
        },
    }


def assigned_recipe(to: Envelope, at: datetime, technician: str) -> Recipe:
    return {
        "email": "asignado",
        "to": [to.number, to.usuario, to.correo, to.thread],
        "at": at.isoformat(),
        "technician": technician,
    }


def render(recipe: Recipe, ctx: MailContext, message_id: str) -> OutgoingMail:
    if recipe["email"] == "confirmacion":
        facts = dict(recipe["ticket"])
        facts["created_at"] = datetime.fromisoformat(facts["created_at"])
        facts["attachments"] = tuple(facts["attachments"])
        return confirmation(
            TicketFacts(**facts),
            ctx,
            message_id,
            contact_by=_at(recipe["contact_by"]),
            after_hours=recipe["after_hours"],
            suspended=recipe["suspended"],
            promise=_promise(recipe.get("promise")),
            invoice=tuple(recipe.get("invoice", ())),
        )
    if recipe["email"] == "asignado":
        number, usuario, correo, thread = recipe["to"]
        to = Envelope(number, usuario, correo, thread)
        at = datetime.fromisoformat(recipe["at"])
        return assigned(to, ctx, message_id, at, recipe["technician"])
    raise ValueError(f"no recipe for the email {recipe['email']!r}")
