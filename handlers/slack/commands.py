"""`/hib2b`: every sub-command, answered only to the person who typed it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Asked, Desk
from handlers.slack.home import Homes


def register(app: AsyncApp, desk: Desk, homes: Homes) -> None:
    @app.command("/hib2b")
    async def hib2b(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await desk.actor(command["user_id"], command.get("user_name", ""))
        asked = Asked(actor, command.get("channel_id", ""))
        reply = await desk.ask_line(asked, command.get("text", ""))
        if reply.modal is not None:
            await client.views_open(trigger_id=command["trigger_id"], view=reply.modal)
            await ack()
            return
        if not reply.refused:
            homes.acted(client, actor.user_id)
        if reply.publish is not None:
            await client.chat_postMessage(
                channel=desk.settings.channel,
                text=reply.publish.text,
                blocks=reply.publish.blocks,
            )
        await ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
