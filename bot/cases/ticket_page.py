"""The supplier's ticket page (`/soporte/ticket?t=…`, linked from every email they get): where
their ticket stands and its public timeline, and a comment with files that reaches the thread
exactly like an emailed reply (a waiting ticket resumes; a ticket closed within the reopening
window reopens)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.cases.intake import attach_later, store_accepted
from bot.cases.parts import Parts
from bot.cases.tickets import act_in
from bot.domain import supplier
from bot.domain.attachments import IncomingFile
from bot.domain.change import Refused
from bot.domain.terms import Status, ticket_code
from bot.domain.text import is_number
from bot.domain.tokens import Signer
from bot.render import ticket_page as render
from store import files
from store import team as team_store
from store import tickets as store
from store.models import StoredFile

PURPOSE = "ticket"
LINK_LIFE = timedelta(days=3650)  # as long as the ticket is kept
MAX_COMMENT = 5000


def link(signer: Signer, base_url: str, number: int, now: datetime) -> str:
    return f"{base_url.rstrip('/')}/soporte/ticket?t={signer.sign(PURPOSE, str(number), now)}"


def ticket_of(signer: Signer, token: str, now: datetime) -> int:
    payload = signer.verify(PURPOSE, token, now, LINK_LIFE)
    if payload is None or not is_number(payload):
        raise Refused("Este enlace no es válido. Use el que viene en el correo de su ticket.")
    return int(payload)


async def page(parts: Parts, number: int) -> render.Page:
    async with parts.db.read() as conn:
        ticket = await store.locked_ticket(conn, number)
        if ticket is None or ticket.suppressed_at is not None:
            raise Refused("Este ticket ya no está disponible.")
        audit = await store.audit_in(conn, number)
        technician = await team_store.name_of(conn, ticket.assignee)
    now = parts.now()
    return render.page(
        ticket, audit, technician, parts.settings.timezone, now, _can_reopen(parts, ticket, now)
    )


def _can_reopen(parts: Parts, ticket: object, now: datetime) -> bool:
    closed_at = getattr(ticket, "closed_at", None)
    return closed_at is not None and now - closed_at <= parts.settings.reopen_window


async def comment(
    parts: Parts, number: int, text: str, incoming: list[IncomingFile], key: str
) -> list[str]:
    """Add the supplier's comment and files; returns the files' problems (nothing was added
    when there are any). Raises `Refused`. `key` makes a resent page add it once."""
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise Refused(f"El comentario no puede pasar de {MAX_COMMENT} caracteres.")
    kept, problems = await store_accepted(parts, incoming, "no se puede adjuntar")
    if problems:
        await _forget(parts, kept)
        return problems
    if not text and not kept:
        raise Refused("Escriba un comentario o adjunte un archivo.")
    now, used = parts.now(), False
    try:
        async with parts.db.transaction() as conn:
            if await store.request_applied(conn, key):
                # The page was sent again (a double click, the back button): once is enough.
                return []
            ticket = await store.locked_ticket(conn, number)
            if ticket is None or ticket.suppressed_at is not None:
                raise Refused("Este ticket ya no está disponible.")
            if ticket.close_kind == "duplicado" and ticket.duplicate_of:
                raise Refused(
                    f"Este ticket se cerró porque el mismo caso se atiende en "
                    f"{ticket_code(ticket.duplicate_of)}: si su caso es distinto, responda al "
                    "último correo que le enviamos."
                )
            names = tuple(f.display_name for f in kept)
            if ticket.status != Status.CERRADO:
                decide = lambda t: supplier.reply(t, ticket.correo, text, names, now)  # noqa: E731
            elif _can_reopen(parts, ticket, now):
                decide = lambda t: supplier.reopen(t, ticket.correo, text, now)  # noqa: E731
            else:
                raise Refused("Este ticket se cerró hace tiempo: envíe una solicitud nueva.")
            await act_in(
                conn, number, supplier.SUPPLIER, decide, now, parts.mail_ctx, parts.policies
            )
            await attach_later(conn, number, kept, now)
            await store.remember_request(conn, key, now)
            used = True
    finally:
        if not used:
            await _forget(parts, kept)
    parts.wake_outbox()
    return []


async def _forget(parts: Parts, kept: list[StoredFile]) -> None:
    for file in kept:
        await asyncio.to_thread(files.remove, parts.settings.data_dir, file.stored_name)
