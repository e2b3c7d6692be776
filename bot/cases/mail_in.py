"""What an email in the support mailbox does: a supplier's reply goes to its ticket's thread (a
waiting ticket resumes, a recently closed one reopens), an email about no ticket opens one,
auto-replies change nothing, bounces mark the ticket. Each message is processed once: it is
recorded by Message-ID in the same transaction as the change it makes."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

import aiosqlite

from bot.cases import shifts
from bot.cases.intake import attach_later, store_accepted
from bot.cases.parts import Parts
from bot.cases.tickets import act_in, create_in, submission
from bot.domain import inbound, supplier
from bot.domain.attachments import IncomingFile
from bot.domain.change import Change
from bot.domain.form import FormValues, is_email
from bot.domain.terms import Source, ticket_code
from bot.domain.text import shorten
from bot.render.card import LITERAL_LIMIT
from store import clients as client_store
from store import files, mailbox
from store import tickets as store
from store.models import StoredFile, Ticket

MAX_DESCRIPTION = 10_000
# The thread shows this much of one email; the whole of a longer one goes as a file.
THREAD_LIMIT = LITERAL_LIMIT
WHOLE_TEXT = "correo-completo.txt"


def _message_id(raw: bytes, mail: inbound.Inbound | None) -> str:
    if mail is not None and mail.message_id:
        return mail.message_id
    return f"<sin-id.{hashlib.sha256(raw).hexdigest()[:24]}@hib2b>"


async def record_failure(parts: Parts, raw: bytes, uid: str, error: Exception) -> None:
    """A message that could not be processed is remembered with the reason, so an operator
    finds it (`inbound` table, and the `$Hib2bError` flag on the server)."""
    mail: inbound.Inbound | None = None
    if raw:
        try:
            mail = await asyncio.to_thread(inbound.parse, raw)
        except (ValueError, LookupError, TypeError):
            mail = None
    message_id = _message_id(raw, mail) if raw else f"<sin-leer.{uid}@hib2b>"
    await mailbox.record_failure(
        parts.db,
        message_id,
        uid,
        f"error: {type(error).__name__}: {error}",
        parts.now(),
    )


@dataclass(frozen=True)
class Prepared:
    """What a message brings, made ready before its transaction: parsing, checking and writing
    files take time, and nothing slow may run while the database is held."""

    reply_text: str  # for the thread: the new text, with notes on files left out
    reply_files: list[StoredFile]
    description: str  # for a new ticket
    ticket_files: list[StoredFile]

    @property
    def written(self) -> list[StoredFile]:
        return list({f.stored_name: f for f in self.reply_files + self.ticket_files}.values())


SENT_TRUSTED = timedelta(days=7)  # an older Date is a wrong clock, not a slow mailbox


async def receive(parts: Parts, raw: bytes, uid: str = "") -> str:
    """Process one message; returns what was done (recorded as the message's outcome)."""
    mail = await asyncio.to_thread(inbound.parse, raw)  # big HTML mail takes seconds to read
    message_id = _message_id(raw, mail)
    prepared = await _prepare(parts, mail)
    now = parts.now()
    used: list[StoredFile] = []
    try:
        async with parts.db.transaction() as conn:
            if await mailbox.seen_outcome(conn, message_id) is not None:
                return "repetido"
            outcome, ticket, used = await _handle(conn, parts, mail, prepared, now)
            await mailbox.record(conn, message_id, uid, ticket, outcome, now)
    finally:
        kept = {f.stored_name for f in used}
        for file in prepared.written:
            if file.stored_name not in kept:
                await asyncio.to_thread(files.remove, parts.settings.data_dir, file.stored_name)
    parts.wake_outbox()
    return outcome


def _sent(mail: inbound.Inbound, now: datetime) -> datetime:
    """When the supplier sent it, for the invoices' stamp age (a mailbox read late must not
    make an invoice sent in time look old); its Date header when plausible, else now."""
    sent = mail.sent_at
    if sent is None or not now - SENT_TRUSTED <= sent <= now:
        return now
    return sent


async def _prepare(parts: Parts, mail: inbound.Inbound) -> Prepared:
    if mail.bounce or mail.automatic or _ignored(parts, mail):
        return Prepared("", [], "", [])  # nothing of it will be kept
    arriving = [IncomingFile(p.name, p.data, len(p.data)) for p in mail.attachments]
    kept, notes = await store_accepted(parts, arriving, "no se guardó", _sent(mail, parts.now()))
    with_notes = _with_notes(mail.text, notes)
    reply_text, reply_whole = await _fitting(parts, with_notes, THREAD_LIMIT)
    opening = "\n\n".join(line for line in (mail.subject or "(sin asunto)", with_notes) if line)
    description, ticket_whole = await _fitting(parts, opening, MAX_DESCRIPTION - 100)
    return Prepared(reply_text, kept + reply_whole, description, kept + ticket_whole)


async def _handle(
    conn: aiosqlite.Connection,
    parts: Parts,
    mail: inbound.Inbound,
    prepared: Prepared,
    now: datetime,
) -> tuple[str, int | None, list[StoredFile]]:
    """What the message does: its outcome, its ticket, and the prepared files it kept."""
    if mail.bounce:
        number = await mailbox.ticket_of_sent(conn, mail.bounced)
        if number is None:
            return "rebote_sin_ticket", None, []
        await _act(conn, parts, number, lambda t: supplier.bounced(t, now), now)
        return "rebote", number, []
    if mail.automatic:
        return "automatico", None, []
    ignored = _ignored(parts, mail)
    if ignored:
        return ignored, None, []  # recorded with the reason; no ticket, no answer (backscatter)
    if not mail.sender.isascii() or not is_email(mail.sender):
        return "remitente_invalido", None, []  # nobody to answer: nothing to open
    number = await mailbox.ticket_of_sent(conn, mail.references)
    verified = number is not None  # a reply to one of our own messages
    if number is None and mail.ticket_in_subject is not None:
        found = await store.locked_ticket(conn, mail.ticket_in_subject)
        seen: set[int] = set()
        while (
            found is not None
            and found.close_kind == "duplicado"
            and found.duplicate_of
            and found.number not in seen
        ):
            # Merged or closed as a duplicate: the help continues in the original (A→B→C).
            seen.add(found.number)
            found = await store.locked_ticket(conn, found.duplicate_of) or found
        number = found.number if found else None
    if number is None:
        created = await _new_ticket(conn, parts, mail, prepared, now, related=None)
        return "nuevo", created, prepared.ticket_files
    ticket = await store.locked_ticket(conn, number)
    assert ticket is not None
    if not verified and mail.sender != ticket.correo.lower():
        # Ticket numbers are sequential: `[HD-N]` in a subject proves nothing about who wrote.
        left_out = len(mail.attachments)
        shown, cut = shorten(mail.text, THREAD_LIMIT - 200)
        if cut:
            shown += "\n[Correo recortado: de un remitente no verificado no se guarda completo.]"
        await _act(
            conn,
            parts,
            number,
            lambda t: supplier.unverified_mail(t, mail.sender, shown, left_out),
            now,
        )
        return "no_verificado", number, []
    text, kept = prepared.reply_text, prepared.reply_files
    names = tuple(f.display_name for f in kept)
    if ticket.status != "cerrado":
        await _act(
            conn,
            parts,
            number,
            lambda t: supplier.reply(t, mail.sender, text, names, now),
            now,
        )
        await attach_later(conn, number, kept, now)
        return "respuesta", number, kept
    window = parts.settings.reopen_window
    if ticket.closed_at is not None and now - ticket.closed_at <= window:
        await _act(
            conn,
            parts,
            number,
            lambda t: supplier.reopen(t, mail.sender, text, now),
            now,
        )
        await attach_later(conn, number, kept, now)
        return "reabierto", number, kept
    created = await _new_ticket(conn, parts, mail, prepared, now, related=number)
    return "nuevo_relacionado", created, prepared.ticket_files


def _ignored(parts: Parts, mail: inbound.Inbound) -> str:
    """Why a message must not open or change anything: our own mail coming back, spam, or a
    sender its own domain disowns (DMARC). Empty when it may be processed."""
    settings = parts.settings
    own = {parseaddr(settings.mail_from)[1].lower(), settings.support_address.lower()}
    if mail.sender in own:
        return "ignorado: remitente propio"
    if mail.spam:
        return "ignorado: marcado como spam"
    if mail.dmarc_fail:
        return "ignorado: DMARC fallido"
    return ""


async def _act(
    conn: aiosqlite.Connection,
    parts: Parts,
    number: int,
    decide: Callable[[Ticket], Change],
    now: datetime,
) -> None:
    await act_in(conn, number, supplier.SUPPLIER, decide, now, parts.mail_ctx, parts.policies)


async def _new_ticket(
    conn: aiosqlite.Connection,
    parts: Parts,
    mail: inbound.Inbound,
    prepared: Prepared,
    now: datetime,
    related: int | None,
) -> int:
    """The email channel of the manual: an email about no open ticket opens one."""
    known = await store.last_client_of(conn, mail.sender)
    client = await client_store.client_in(conn, known) if known else None
    description = prepared.description
    if related is not None:
        description = f"Relacionado con {ticket_code(related)} (cerrado).\n\n{description}"
    values = FormValues(
        descripcion=description,
        usuario=(mail.sender_name or mail.sender)[:200],
        correo=mail.sender,
        tipo="no_lo_se",
    )
    created = await create_in(
        conn,
        submission(
            values,
            client,
            form_id=f"mail:{mail.message_id}",
            client_ip="",
            source=Source.CORREO,
            triage=client is None,
        ),
        now,
        parts.mail_ctx,
        parts.policies.of(client),
        files=list(prepared.ticket_files),
        assign=shifts.assigner(parts),
    )
    if related is not None:
        await store.update_ticket(conn, created.number, {"related_to": related})
    return created.number


async def _fitting(parts: Parts, text: str, limit: int) -> tuple[str, list[StoredFile]]:
    """`text` as it fits where it goes (a ticket's description, the thread); when it does not,
    its start, and the whole of it kept as a text file beside the ticket: nothing is cut
    silently."""
    if len(text) <= limit:
        return text, []
    data = text.encode("utf-8")
    saved = await asyncio.to_thread(files.save, parts.settings.data_dir, data, ".txt")
    whole = StoredFile(0, saved.stored_name, WHOLE_TEXT, "text/plain", saved.size, saved.sha256)
    cut = (
        text[: limit - 200].rsplit("\n", 1)[0]
        if "\n" in text[: limit - 200]
        else text[: limit - 200]
    )
    return f"{cut}\n\n[El correo sigue en el archivo adjunto {WHOLE_TEXT}.]", [whole]


def _with_notes(text: str, notes: list[str]) -> str:
    return "\n".join([text, *notes]).strip() if notes else text
