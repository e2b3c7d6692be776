"""Modal submissions: each modal's values are the request its form stands for
(`bot.domain.controls`). A refusal comes back as the modal's own validation error, on the input
it concerns, so nothing typed is lost; a submission Slack sends twice (same view id) is applied
once."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import STORAGE_BUSY, Asked, Desk, Reply, StorageUnavailable
from bot.domain import controls
from bot.domain import requests as r
from bot.domain.change import FILES, TEXT, Actor, Refused
from bot.domain.requests import Form
from handlers.slack.after import AfterAck
from handlers.slack.answers import actor_of, tell
from handlers.slack.home import Homes

SLACK_ERROR_LIMIT = 150  # characters Slack shows of one input's error


def values_of(view: dict[str, Any]) -> dict[str, str]:
    """Each input's value by block id (select: the chosen option; user select: the user)."""
    found = {}
    for block, elements in view["state"]["values"].items():
        element = elements.get(block, {})
        if element.get("type") in ("static_select", "radio_buttons"):
            found[block] = (element.get("selected_option") or {}).get("value", "")
        elif element.get("type") == "users_select":
            found[block] = element.get("selected_user") or ""
        elif element.get("type") != "file_input":
            found[block] = element.get("value") or ""
    return found


def files_of(view: dict[str, Any]) -> list[dict[str, Any]]:
    return view["state"]["values"].get(FILES, {}).get(FILES, {}).get("files") or []


async def apply(desk: Desk, actor: Actor, view: dict[str, Any]) -> Reply:
    """Run what a submitted modal asks for."""
    number_text, _, channel = view["private_metadata"].partition("|")
    form = Form(view["callback_id"])
    try:
        request = controls.submitted(form, int(number_text), values_of(view))
        if isinstance(request, r.Reply):
            request = replace(request, files=await desk.reply_files(files_of(view)))
    except Refused as refusal:
        return Reply(refusal.message, refused=True, field=refusal.field)
    return await desk.ask(Asked(actor, channel, key=f"view:{view['id']}"), request)


def errors_of(reply: Reply, form: Form) -> dict[str, str]:
    fallback = controls.MAIN_INPUT.get(form, TEXT)
    errors = reply.errors or {reply.field or fallback: reply.text}
    return {block: message[:SLACK_ERROR_LIMIT] for block, message in errors.items()}


def register(app: AsyncApp, desk: Desk, after: AfterAck, homes: Homes) -> None:
    @app.view(re.compile(r"^hib2b_"))
    async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        actor = await actor_of(desk, body["user"])
        view = body["view"]
        try:
            reply = await apply(desk, actor, view)
        except StorageUnavailable:
            reply = Reply(STORAGE_BUSY, refused=True)
        if reply.refused:
            form = Form(view["callback_id"])
            await ack(response_action="errors", errors=errors_of(reply, form))
            return
        await ack()
        channel = view["private_metadata"].partition("|")[2]
        after.run(tell(client, channel, actor.user_id, reply.text), view["callback_id"])
        homes.acted(client, actor.user_id)
