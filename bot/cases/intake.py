"""A supplier's report coming in by the form or the portal's API: whose portal it came from,
the files kept for it while it is being filled in, and the ticket it becomes.

Files go through the one attachment policy (`bot.domain.attachments`) every way in shares.
Hashing, the content check and the write (with its fsync) run in threads: a 10 MB XML must not
hold the event loop. A file already kept for a form is recognised by its hash before anything is
written."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.cases import shifts
from bot.cases.clients import client_for_api_key
from bot.cases.parts import Parts
from bot.cases.tickets import Created, create_from_form, create_in, submission
from bot.domain import deliveries
from bot.domain.attachments import Accepted, Batch, IncomingFile, Rejected
from bot.domain.change import FILES, Refused
from bot.domain.content import XML
from bot.domain.form import FormValues, clean, validate
from bot.domain.terms import Severity, Source
from store import clients as client_store
from store import files, uploads
from store import outbox as queue
from store import tickets as ticket_store
from store.models import Client, StoredFile


class UploadsFull(Exception):
    """The files kept for unsent forms are at their quota: try later (503), nothing written."""


@dataclass(frozen=True)
class Replayed:
    """An API request whose Idempotency-Key was seen before."""

    number: int
    same: bool  # False: the key was used with other content


class Intake:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def client_named(self, key: str) -> Client | None:
        return await client_store.get_client(self.parts.db, key.lower())

    async def client_at(self, host: str) -> Client | None:
        return await client_store.client_by_host(self.parts.db, host)

    async def ticket_of_form(self, form_id: str) -> int | None:
        """The ticket this form already made (a double submit, the back button)."""
        async with self.parts.db.read() as conn:
            existing = await ticket_store.ticket_by_form(conn, form_id)
        return existing.number if existing is not None else None

    async def kept(self, form_id: str) -> list[StoredFile]:
        return await uploads.uploads_of(self.parts.db, form_id)

    async def drop(self, form_id: str, ids: list[int] | None = None) -> None:
        """Forget files kept for a form (`ids`; all of them by default) and delete them."""
        db, data_dir = self.parts.db, self.parts.settings.data_dir
        if ids is None:
            ids = [f.id for f in await uploads.uploads_of(db, form_id)]
        for stored in await uploads.remove_uploads(db, form_id, ids):
            await asyncio.to_thread(files.remove, data_dir, stored.stored_name)

    async def keep(
        self,
        form_id: str,
        incoming: list[IncomingFile],
        kept: list[StoredFile],
        address: str,
    ) -> list[str]:
        """Check each new file; keep the good ones for this form. Returns the problems, in
        Spanish. Raises `UploadsFull` (nothing written) when the pending quota is reached."""
        settings, db = self.parts.settings, self.parts.db
        arriving = sum(upload.size for upload in incoming if upload.data is not None)
        if arriving:
            in_all, from_address = await uploads.pending_bytes(db, address)
            if (
                in_all + arriving > settings.pending_uploads_bytes
                or from_address + arriving > settings.pending_uploads_per_address_bytes
            ):
                raise UploadsFull
        problems = []
        batch = Batch(
            settings.upload_limits,
            count=len(kept),
            total=sum(f.size for f in kept),
            hashes={f.sha256 for f in kept},
        )
        for upload in incoming:
            outcome = await asyncio.to_thread(
                batch.consider, upload.filename, upload.data, upload.size, upload.problem
            )
            if outcome is None:
                continue  # the same file sent twice: kept once, nothing written
            if isinstance(outcome, Rejected):
                problems.append(outcome.sentence())
                continue
            stored = await store_file(self.parts, outcome)
            await uploads.add_upload(db, form_id, stored, self.parts.now(), address)
        return problems

    async def submit(
        self, values: FormValues, client: Client | None, form_id: str, address: str, triage: bool
    ) -> Created:
        """The form's report as a ticket, with the files kept for it."""
        created = await create_from_form(
            self.parts.db,
            submission(values, client, form_id=form_id, client_ip=address, triage=triage),
            self.parts.now(),
            self.parts.mail_ctx,
            self.parts.policies.of(client),
            shifts.assigner(self.parts),
        )
        if created.new:
            self.parts.wake_outbox(settled=False)
        return created

    # --- the portal's API -------------------------------------------------------------------
    async def api_client(self, key: str) -> str | None:
        """The client an API key belongs to (revoked keys belong to nobody)."""
        return await client_for_api_key(self.parts.db, key)

    async def replayed(self, client: str, idempotency: str, digest: str) -> Replayed | None:
        async with self.parts.db.read() as conn:
            seen = await client_store.idempotent(conn, client, idempotency)
        return Replayed(seen[1], seen[0] == digest) if seen is not None else None

    async def submit_api(
        self,
        values: FormValues,
        client_key: str,
        idempotency: str,
        digest: str,
        form_id: str,
        address: str,
    ) -> Created | Replayed:
        """The portal's report as a ticket. The key is taken in the transaction that creates
        the ticket: of concurrent requests with one key, exactly one creates it; the others
        are answered from its record (and their files are dropped)."""
        parts = self.parts
        client = await client_store.get_client(parts.db, client_key)
        form = submission(values, client, form_id=form_id, source=Source.PORTAL, client_ip=address)
        seen = None
        async with parts.db.transaction() as conn:
            if idempotency:
                seen = await client_store.idempotent(conn, client_key, idempotency)
            if seen is None:
                created = await create_in(
                    conn,
                    form,
                    parts.now(),
                    parts.mail_ctx,
                    parts.policies.of(client),
                    assign=shifts.assigner(parts),
                )
                if idempotency:
                    await client_store.remember_request(
                        conn, client_key, idempotency, digest, created.number, parts.now()
                    )
        if seen is not None:
            await self.drop(form_id)
            return Replayed(seen[1], seen[0] == digest)
        parts.wake_outbox(settled=False)
        return created

    async def created_at(self, number: int) -> str:
        async with self.parts.db.read() as conn:
            return await ticket_store.created_at(conn, number)


async def store_file(
    parts: Parts, accepted: Accepted, arrived: datetime | None = None
) -> StoredFile:
    """Write an accepted file under the data folder (in a thread: it fsyncs). An XML that is a
    CFDI is read now, once, in the invoice reader's child process; the reading is kept with it
    (`arrived`: when the supplier sent it, if not now — its stamp's age counts from there)."""
    saved = await asyncio.to_thread(
        files.save, parts.settings.data_dir, accepted.data, accepted.suffix
    )
    reading = None
    if accepted.content_type == XML:
        reading = await parts.invoices.read(accepted.data, arrived or parts.now())
    return StoredFile(
        0,
        saved.stored_name,
        accepted.name,
        accepted.content_type,
        saved.size,
        saved.sha256,
        cfdi=reading.to_json() if reading is not None else None,
        cfdi_uuid=(reading.uuid or None) if reading is not None else None,
    )


async def attach_later(
    conn: aiosqlite.Connection, number: int, kept: list[StoredFile], now: datetime
) -> None:
    """Files that came after the ticket (a reply, the ticket's page): each to the thread, and
    the card redrawn when one is an invoice, so its «CFDI» section (and a possible duplicate
    by the same invoice on another open ticket) shows there too."""
    for file in kept:
        attachment = await ticket_store.insert_attachment(conn, number, file)
        await queue.enqueue(conn, deliveries.file(number, attachment), now)
        if file.cfdi:
            await queue.enqueue(conn, deliveries.card_update(number, f"cfdi:{attachment}"), now)
    uuids = [file.cfdi_uuid for file in kept if file.cfdi_uuid]
    ticket = await ticket_store.locked_ticket(conn, number) if uuids else None
    if ticket is not None and ticket.duplicate_hint is None:
        # The same invoice already on another open ticket: marked as at creation.
        hint = await ticket_store.ticket_with_invoice(conn, number, uuids)
        if hint is not None:
            await ticket_store.update_ticket(conn, number, {"duplicate_hint": hint})


async def store_accepted(
    parts: Parts, arriving: list[IncomingFile], verb: str, arrived: datetime | None = None
) -> tuple[list[StoredFile], list[str]]:
    """Store the files the form's policy accepts (one batch: its count and total limits);
    the others' reasons, each ««name» `verb`: why»."""
    batch = Batch(parts.settings.upload_limits)
    kept, notes = [], []
    for upload in arriving:
        outcome = await asyncio.to_thread(
            batch.consider, upload.filename, upload.data, upload.size, upload.problem
        )
        if outcome is None:
            continue
        if isinstance(outcome, Rejected):
            notes.append(outcome.sentence(verb))
            continue
        kept.append(await store_file(parts, outcome, arrived))
    return kept, notes


async def judge_downloaded(
    parts: Parts, downloaded: list[tuple[str, bytes]]
) -> tuple[Accepted, ...]:
    """Files a technician attached in Slack, judged by the same policy as the supplier's (a
    technician cannot email a script by mistake either). Raises `Refused` for the first one
    that cannot be sent."""
    batch = Batch(parts.settings.upload_limits)
    accepted = []
    for name, data in downloaded:
        outcome = await asyncio.to_thread(batch.consider, name, data, len(data))
        if isinstance(outcome, Rejected):
            raise Refused(outcome.sentence("no se puede enviar"), FILES)
        if outcome is not None:
            accepted.append(outcome)
    return tuple(accepted)


async def opened_by_technician(
    parts: Parts, user_id: str, fields: dict[str, str], key: str | None
) -> Created | dict[str, str]:
    """A ticket a technician opens for a supplier who phoned (`origen` telefono: the call is
    the first contact) or wrote (correo); optionally its client and severity. Returns the ticket,
    or Spanish problems by field (nothing stored)."""
    values = clean(fields)
    errors = validate(values)
    source = fields.get("origen", "")
    if source not in (Source.TELEFONO, Source.CORREO):
        errors["origen"] = "Indique si el proveedor llamó (telefono) o escribió (correo)."
    severity = fields.get("severidad") or None
    if severity and severity not in {s.value for s in Severity}:
        errors["severidad"] = "La severidad debe ser bajo, medio-alto o critico."
    client = None
    if fields.get("cliente"):
        client = await client_store.get_client(parts.db, fields["cliente"])
        if client is None:
            errors["cliente"] = f"No existe el cliente `{fields['cliente']}`."
    if errors:
        return errors
    created = await create_from_form(
        parts.db,
        submission(
            values,
            client,
            form_id=key,
            client_ip="",
            source=Source(source),
            severity=severity,
            opened_by=user_id,
            contact_now=source == Source.TELEFONO,
        ),
        parts.now(),
        parts.mail_ctx,
        parts.policies.of(client),
    )
    parts.wake_outbox(settled=False)
    return created
