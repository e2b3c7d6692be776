"""The card's buttons, select and overflow menu."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import NOT_YET_AVAILABLE
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.action(re.compile(r"^ticket_"))
    async def not_yet_available(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # The technicians' workflow is the next piece of work; until then each control tells
        # the person who used it, and only them.
        await ack()
        await client.chat_postEphemeral(
            channel=body["channel"]["id"], user=body["user"]["id"], text=NOT_YET_AVAILABLE
        )
