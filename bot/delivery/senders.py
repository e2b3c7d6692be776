"""What each kind of queued delivery does: the card, the thread's full description, each
attachment, each email. Rendering happens here, from the ticket as it is now, so a card sent late
shows the latest state."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite

from bot.delivery.failures import PermanentFailure
from bot.delivery.queue import Delivered, Handler
from bot.delivery.slack import Channel
from bot.delivery.smtp import MailSender
from bot.domain import cfdi, clocks
from bot.domain.change import Refused
from bot.domain.deliveries import (
    CARD,
    CARD_UPDATE,
    DESCRIPTION,
    EMAIL,
    EXPORT,
    FILE,
    LEAD_ALERT,
    REMINDER,
    REPORT,
    THREAD,
    Prepared,
)
from bot.render import card as cards
from bot.render import recipes
from bot.render.email import MailContext, OutgoingMail
from store import clients as client_store
from store import outbox as queue
from store import team as team_store
from store import tickets as store
from store.db import Database
from store.models import Delivery, Ticket

# Writes a report's or an export's file: (kind, payload, key) → the file and its message.
Preparer = Callable[[str, dict[str, Any], str], Awaitable[Prepared]]


class Deliveries:
    def __init__(
        self,
        db: Database,
        channel: Channel,
        channel_id: str,
        mail: MailSender,
        zone: str,
        data_dir: Path,
        mail_ctx: MailContext,
        leads: tuple[str, ...] = (),
        prepare: Preparer | None = None,
    ) -> None:
        self._db = db
        self._channel = channel
        self._channel_id = channel_id
        self._mail = mail
        self._zone = zone
        self._data_dir = data_dir
        self._leads = leads
        self._mail_ctx = mail_ctx
        self._prepare = prepare

    def handlers(self) -> dict[str, Handler]:
        return {
            CARD: self.card,
            CARD_UPDATE: self.card_update,
            DESCRIPTION: self.description,
            THREAD: self.thread,
            FILE: self.file,
            EMAIL: self.email,
            REMINDER: self.reminder,
            LEAD_ALERT: self.lead_alert,
            REPORT: self.shared_file,
            EXPORT: self.shared_file,
        }

    async def _ticket(self, item: Delivery) -> Ticket:
        ticket = await store.get_ticket(self._db, item.ticket) if item.ticket else None
        if ticket is None:
            raise PermanentFailure(f"ticket {item.ticket} does not exist")
        return ticket

    async def _thread(self, item: Delivery) -> tuple[Ticket, str]:
        ticket = await self._ticket(item)
        if not ticket.slack_ts:
            # The queue sends thread items only after the card; reaching here is a bug.
            raise PermanentFailure(f"HD-{ticket.number} has no card yet")
        return ticket, ticket.slack_ts

    async def _card_message(self, ticket: Ticket) -> cards.Message:
        attachments = await store.attachments_of(self._db, ticket.number)
        client = await client_store.get_client(self._db, ticket.client) if ticket.client else None
        checks = cfdi.checks_for(client, self._mail_ctx.invoice_max_age)
        hinted = ticket.duplicate_hint
        original = await store.get_ticket(self._db, hinted) if hinted else None
        name = client.name if client else ""
        return cards.card(
            cards.card_ticket(ticket, attachments, name, checks, original), self._zone
        )

    async def card(self, item: Delivery) -> Delivered:
        ticket = await self._ticket(item)
        message = await self._card_message(ticket)
        ts = await self._channel.post_card(
            message, ticket.number, ticket.created_at, retry=item.attempts > 1
        )

        async def record(conn: aiosqlite.Connection) -> None:
            await store.set_card(conn, ticket.number, self._channel_id, ts)

        return Delivered(ts, record)

    async def card_update(self, item: Delivery) -> Delivered:
        # Rendered from the ticket as it is now: an update sent late or twice still shows the
        # latest state, so the order in which updates leave does not matter.
        ticket, ts = await self._thread(item)
        await self._channel.update_card(ts, await self._card_message(ticket))
        return Delivered(ts)

    async def thread(self, item: Delivery) -> Delivered:
        ticket, thread = await self._thread(item)
        message = cards.event_message(
            ticket.number, item.key, item.payload["text"], item.payload.get("quote", "")
        )
        ts = await self._channel.post_in_thread(thread, message, item.key, item.attempts > 1)
        return Delivered(ts)

    async def reminder(self, item: Delivery) -> Delivered:
        ticket, thread = await self._thread(item)
        clock, gen, stage = item.payload["clock"], item.payload["gen"], item.payload["stage"]
        if not clocks.still_due(ticket, clock, gen):
            # Contact made, ticket closed or clock paused since it was queued: nothing to say.
            return Delivered("moot")
        running = clocks.running_clocks(ticket)[clock][1]
        leads = await team_store.leads(self._db, self._leads) if stage == clocks.DUE else ()
        message = cards.reminder(
            ticket.number,
            item.key,
            clock,
            stage,
            running[clocks.DUE],
            ticket.assignee,
            tuple(leads),
            self._zone,
        )
        ts = await self._channel.post_in_thread(thread, message, item.key, item.attempts > 1)
        return Delivered(ts)

    async def lead_alert(self, item: Delivery) -> Delivered:
        ticket = await self._ticket(item)
        clock = item.payload["clock"]
        if not clocks.still_due(ticket, clock, item.payload["gen"]):
            return Delivered("moot")  # contact made, closed or paused since: nothing to tell
        due = clocks.running_clocks(ticket)[clock][1][clocks.DUE]
        card = (
            f"{ticket.slack_channel}/p{ticket.slack_ts.replace('.', '')}" if ticket.slack_ts else ""
        )
        message = cards.lead_alert(ticket.number, clock, due, ticket.assignee, card, self._zone)
        return Delivered(await self._channel.post_direct(item.payload["lead"], message))

    async def description(self, item: Delivery) -> Delivered:
        ticket, thread = await self._thread(item)
        message = cards.full_description(cards.card_ticket(ticket, []), item.key)
        ts = await self._channel.post_in_thread(thread, message, item.key, item.attempts > 1)
        return Delivered(ts)

    async def file(self, item: Delivery) -> Delivered:
        _, thread = await self._thread(item)
        attachment = await store.get_attachment(self._db, int(item.payload["attachment"]))
        if attachment is None:
            raise PermanentFailure(f"attachment {item.payload['attachment']} does not exist")

        async def save(state: dict[str, Any]) -> None:
            await queue.save_state(self._db, item.id, state)

        file_id = await self._channel.upload_file(
            thread,
            self._data_dir / attachment.stored_name,
            attachment.display_name,
            item.state,
            save,
        )
        return Delivered(file_id)

    async def email(self, item: Delivery) -> Delivered:
        payload = item.payload
        data = payload.get("data") or item.state.get("data")
        if data is None:
            # Rendered once, here, and kept on the row before the first try: a resend after a
            # failure or a crash is byte for byte the same email.
            data = recipes.render(payload["recipe"], self._mail_ctx, payload["message_id"]).data
            await queue.save_state(self._db, item.id, {**item.state, "data": data})
        mail = OutgoingMail(payload["message_id"], payload["recipient"], data)
        where = await self._mail.send(mail, re.sub(r"[^a-z0-9.-]+", "-", item.key.lower()))
        return Delivered(f"{mail.message_id} {where}")

    async def shared_file(self, item: Delivery) -> Delivered:
        """A report or an export: its file prepared now (from the desk as it is when sent),
        uploaded with its message, then removed from disk (it may carry personal data)."""
        if self._prepare is None:
            raise PermanentFailure("this service does not prepare reports")
        try:
            prepared = await self._prepare(item.kind, item.payload, item.key)
        except Refused as refusal:  # e.g. its client was removed since it was asked for
            raise PermanentFailure(f"{item.kind}: {refusal.message}") from refusal

        async def save(state: dict[str, Any]) -> None:
            await queue.save_state(self._db, item.id, state)

        try:
            file_id = await self._channel.share_file(
                item.payload["to"],
                prepared.path,
                prepared.filename,
                prepared.title,
                prepared.comment,
                item.state,
                save,
            )
        except PermanentFailure:
            # Never sent, never retried by itself: it must not stay on the server meanwhile.
            await asyncio.to_thread(prepared.path.unlink, missing_ok=True)
            raise
        if not self._channel.keeps_files:
            await asyncio.to_thread(prepared.path.unlink, missing_ok=True)
        return Delivered(file_id)
