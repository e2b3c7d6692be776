"""Modal submissions: reply, note, call, close, reopen, reassign.

A refusal comes back as the modal's own validation error, so nothing typed is lost; a
submission Slack sends twice (same view id) is applied once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as b
from bot.attachments import Batch, Limits
from bot.attachments import Refused as NotAccepted
from bot.commands import STORAGE_BUSY, Commands, Reply
from bot.domain import parse_ticket_code
from bot.failures import DeliveryFailure
from bot.mail import Attached
from bot.services import Services
from bot.workflow import Actor, Refused
from handlers.slack.actions import actor_of
from handlers.slack.answers import tell
from store.db import StorageUnavailable

# Modal → the `/hib2b` line its fields stand for, and the field that shows a refusal.
LINES = {
    b.NOTE_VIEW: ("nota {n} {text}", b.TEXT),
    b.CALL_VIEW: ("llamada {n} {text}", b.TEXT),
    b.REOPEN_VIEW: ("reabrir {n} {text}", b.TEXT),
    b.ASSIGN_VIEW: ("tomar {n} <@{user}>", b.USER),
}


def value(view: dict[str, Any], block: str) -> str:
    element = view["state"]["values"].get(block, {}).get(block, {})
    if element.get("type") in ("static_select", "radio_buttons"):
        return (element.get("selected_option") or {}).get("value", "")
    if element.get("type") == "users_select":
        return element.get("selected_user") or ""
    return element.get("value") or ""


async def fetch_files(services: Services, view: dict[str, Any]) -> tuple[Attached, ...]:
    """The files of the reply modal, downloaded with the bot token and judged by the same
    policy as the supplier's (a technician cannot email a script by mistake either)."""
    element = view["state"]["values"].get(b.FILES, {}).get(b.FILES, {})
    batch = Batch(Limits.of(services.settings))
    fetched = []
    for file in element.get("files") or []:
        name = file.get("name") or "archivo"
        url = file.get("url_private_download") or file.get("url_private") or ""
        try:
            data = await services.channel.download(url, batch.limits.max_file)
        except DeliveryFailure as failure:
            reason = (
                "supera el tamaño permitido"
                if "too large" in failure.reason
                else ("no se pudo descargar; intente de nuevo")
            )
            raise Refused(f"«{name}»: {reason}.") from failure
        outcome = await asyncio.to_thread(batch.consider, name, data, len(data))
        if isinstance(outcome, NotAccepted):
            raise Refused(outcome.sentence("no se puede enviar"))
        if outcome is not None:
            fetched.append(Attached(outcome.name, outcome.data, outcome.content_type))
    return tuple(fetched)


async def apply(commands: Commands, actor: Actor, view: dict[str, Any]) -> tuple[Reply, str]:
    """Run what a submitted modal asks for; returns the reply and the block to show errors on."""
    number_text, _, channel = view["private_metadata"].partition("|")
    number, key = int(number_text), f"view:{view['id']}"
    callback = view["callback_id"]
    if callback == b.NEW_VIEW:
        fields = {name: value(view, name) for name in b.NEW_FIELDS}
        return await commands.open_ticket(actor, fields, key), b.TEXT
    if callback == b.REPLY_VIEW:
        try:
            files = await fetch_files(commands.services, view)
        except Refused as refusal:
            return Reply(refusal.message, refused=True), b.FILES
        return await commands.reply(actor, number, value(view, b.TEXT), files, key), b.TEXT
    if callback == b.CLOSE_VIEW:
        original = value(view, b.DUPLICATE).strip()
        reply = await commands.close(
            actor,
            number,
            kind=value(view, b.KIND),
            cause=value(view, b.CAUSE),
            cause_text=value(view, b.CAUSE_TEXT),
            summary=value(view, b.TEXT),
            duplicate_of=parse_ticket_code(original) if original else None,
            key=key,
        )
        return reply, b.DUPLICATE if "original" in reply.text else b.TEXT
    template, block = LINES[callback]
    line = template.format(n=number, text=value(view, b.TEXT), user=value(view, b.USER))
    return await commands.run(actor, line, channel, request_key=key), block


def register(app: AsyncApp, services: Services) -> None:
    commands = Commands(services)

    @app.view(re.compile(r"^hib2b_"))
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await actor_of(services, body["user"])
        try:
            reply, block = await apply(commands, actor, body["view"])
        except StorageUnavailable:
            reply, block = Reply(STORAGE_BUSY, refused=True), b.TEXT
        if reply.refused:
            errors = reply.errors or {block: reply.text}
            await ack(
                response_action="errors",
                errors={name: message[:150] for name, message in errors.items()},
            )
            return
        await ack()
        channel = body["view"]["private_metadata"].partition("|")[2]
        await tell(client, channel, actor.user_id, reply.text)
