"""The card's buttons, severity select and overflow menu: each click is the request its control
stands for (`bot.domain.controls`)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Asked, Desk
from bot.domain import controls
from handlers.slack.after import AfterAck
from handlers.slack.answers import actor_of, answer
from handlers.slack.home import Homes

CLICKS = re.compile("^(" + "|".join(map(re.escape, controls.ACTION_IDS)) + ")$")


def register(app: AsyncApp, desk: Desk, after: AfterAck, homes: Homes) -> None:
    @app.action(CLICKS)
    async def clicked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        # Slack wants the ack within 3 s; the change and its answer (a Slack call) follow it.
        await ack()
        after.run(_apply(desk, body, client, homes), body["actions"][0]["action_id"])


async def _apply(desk: Desk, body: dict[str, Any], client: AsyncWebClient, homes: Homes) -> None:
    """The click's request, applied once (Slack may send it twice), answered to the clicker."""
    action = body["actions"][0]
    value = (action.get("selected_option") or {}).get("value") or action.get("value", "")
    request = controls.clicked(action["action_id"], value, action.get("block_id", ""))
    actor = await actor_of(desk, body["user"])
    channel = (body.get("channel") or {}).get("id", "")
    key = f"action:{action.get('action_ts')}:{actor.user_id}"
    reply = await desk.ask(Asked(actor, channel, key=key), request)
    from_home = (body.get("view") or {}).get("type") == "home"
    if from_home and not reply.refused and reply.modal is None:
        # Clicked in App Home: the refreshed Home shows what happened; no message needed.
        homes.acted(client, actor.user_id)
        return
    await answer(client, reply, body["trigger_id"], channel, actor.user_id)
    if not reply.refused:
        homes.acted(client, actor.user_id)
