"""`/hib2b`: every sub-command, answered only to the person who typed it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import team
from bot.commands import Commands
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    commands = Commands(services)

    @app.command("/hib2b")
    async def hib2b(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await team.actor_for(
            services.db, services.settings, command["user_id"], command.get("user_name", "")
        )
        reply = await commands.run(actor, command.get("text", ""), command.get("channel_id", ""))
        if reply.modal is not None:
            await client.views_open(trigger_id=command["trigger_id"], view=reply.modal)
            await ack()
            return
        if reply.publish is not None:
            await client.chat_postMessage(
                channel=services.settings.channel,
                text=reply.publish.text,
                blocks=reply.publish.blocks,
            )
        await ack(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
