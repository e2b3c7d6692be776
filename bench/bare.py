"""The floor every Slack figure is compared with: a slack-bolt app with Bolt's defaults that
acks `/hib2b` and does nothing else."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app(slack_api_url: str, signing_secret: str) -> web.Application:
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-test-token", base_url=slack_api_url),
        signing_secret=signing_secret,
    )

    @bolt.command("/hib2b")
    async def ack_only(ack: AsyncAck) -> None:
        await ack(text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    return app
