"""Telling the person who acted, and only them, what happened."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient


async def tell(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        # No channel to whisper in (a modal opened from a DM): a direct message instead.
        await client.chat_postMessage(channel=user, text=text)
