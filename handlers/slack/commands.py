"""`/hib2b`: the read-only sub-commands that exist so far."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands import answer
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.command("/hib2b")
    async def hib2b(ack: AsyncAck, command: dict[str, Any]) -> None:
        reply = await answer(services, command.get("text", ""))
        await ack(response_type="ephemeral", text=reply)
