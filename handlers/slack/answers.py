"""Telling the person who acted, and only them, what happened; opening the modal a reply asks
for."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Desk, Reply
from bot.domain.change import Actor


async def tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        # No channel to whisper in (a modal opened from a DM): a direct message instead.
        await client.chat_postMessage(channel=user, text=text)


async def actor_of(desk: Desk, user: dict[str, Any]) -> Actor:
    name = user.get("name") or user.get("username") or ""
    return await desk.actor(user["id"], name)


async def answer(
    client: AsyncWebClient, reply: Reply, trigger_id: str, channel: str, user: str
) -> None:
    """A modal when the reply brings one, else the text, to the person only."""
    if reply.modal is not None:
        await client.views_open(trigger_id=trigger_id, view=reply.modal)
    else:
        await tell(client, channel, user, reply.text)
