"""The card's buttons, severity select and overflow menu."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, team
from bot.commands import Commands, Reply
from bot.services import Services
from bot.workflow import Actor
from handlers.slack.answers import tell

# What each control runs, as the `/hib2b` line it stands for.
BUTTON_COMMANDS = {
    "ticket_tomar": "tomar {n}",
    "ticket_responder": "responder {n}",
    "ticket_nota": "nota-modal {n}",
    "ticket_cerrar": "cerrar {n}",
    blocks.REOPEN_ACTION: "reabrir-modal {n}",
}
OVERFLOW_COMMANDS = {
    "llamada": "llamada-modal {n}",
    "esperar": "esperar {n}",
    "reanudar": "reanudar {n}",
    "soltar": "soltar {n}",
    "reasignar": "reasignar-modal {n}",
}


async def actor_of(services: Services, user: dict[str, Any]) -> Actor:
    name = user.get("name") or user.get("username") or ""
    return await team.actor_for(services.db, services.settings, user["id"], name)


def register(app: AsyncApp, services: Services) -> None:
    commands = Commands(services)

    async def run(body: dict[str, Any], client: AsyncWebClient, line: str) -> None:
        actor = await actor_of(services, body["user"])
        channel = (body.get("channel") or {}).get("id", "")
        action = body["actions"][0]
        reply = await modal_or_command(
            commands, actor, line, channel, f"action:{action.get('action_ts')}:{actor.user_id}"
        )
        if reply.modal is not None:
            await client.views_open(trigger_id=body["trigger_id"], view=reply.modal)
        else:
            await tell(client, channel, actor.user_id, reply.text)

    @app.action(
        re.compile(
            r"^(ticket_tomar|ticket_responder|ticket_nota|ticket_cerrar|"
            r"ticket_reabrir)$"
        )
    )
    async def button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = body["actions"][0]
        await run(body, client, BUTTON_COMMANDS[action["action_id"]].format(n=action["value"]))

    @app.action(blocks.SEVERITY_ACTION)
    async def severity(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        action = body["actions"][0]
        number = action["block_id"].split(":", 1)[1]
        await run(body, client, f"severidad {number} {action['selected_option']['value']}")

    @app.action(blocks.OVERFLOW_ACTION)
    async def overflow(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        verb, number = body["actions"][0]["selected_option"]["value"].split(":", 1)
        await run(body, client, OVERFLOW_COMMANDS[verb].format(n=number))


async def modal_or_command(
    commands: Commands, actor: Actor, line: str, channel: str, key: str
) -> Reply:
    """Run a control's line: `*-modal` words open that modal, the rest are `/hib2b` lines."""
    verb, _, rest = line.partition(" ")
    if verb.endswith("-modal"):
        return await commands.modal(actor, verb.removesuffix("-modal"), rest, channel)
    return await commands.run(actor, line, channel, request_key=key)
