"""The one aiohttp application: the supplier's pages, the portal's API, Slack's requests (HTTP
or Socket Mode) and health, every route answered through the desk's facade."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.config import MIB
from bot.desk import Desk
from bot.domain.text import is_number
from handlers import api, rating, ticket_page
from handlers import metrics as metrics_routes
from handlers import web as web_routes
from handlers.keys import AFTER_ACK, BOLT, DESK
from handlers.slack import build_bolt_app
from handlers.slack.after import AfterAck


def create_web_app(desk: Desk) -> web.Application:
    settings = desk.settings
    app = web.Application(client_max_size=2 * MIB)
    app[DESK] = desk
    # Before the form's `/soporte/{clave}`, which would take their paths.
    rating.register(app)
    ticket_page.register(app)
    web_routes.register(app)
    api.register(app)
    metrics_routes.register(app)
    if settings.mode != "local":
        app[AFTER_ACK] = AfterAck(desk.after_ack_failed)
        app[BOLT] = build_bolt_app(desk, app[AFTER_ACK])
        # Torn down in reverse: Slack's socket closes first, then what followed its acks ends,
        # then the connections it used.
        app.cleanup_ctx.append(_slack_session_ctx)
        app.cleanup_ctx.append(_after_ack_ctx)
        if settings.mode == "http":
            app.router.add_post("/slack/events", slack_events)
        else:
            app.cleanup_ctx.append(_socket_mode_ctx)
    return app


async def _slack_session_ctx(app: web.Application) -> AsyncIterator[None]:
    # Bolt makes a Web API client per request; all share this session's kept-alive
    # connections. Without it each whisper or modal opened one: a TLS handshake with Slack.
    session = aiohttp.ClientSession()
    app[BOLT].client.session = session
    yield
    app[BOLT].client.session = None
    await session.close()


AFTER_ACK_FINISH_S = 0.5  # then cancelled; the whole stop stays within its 5 s


async def _after_ack_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[AFTER_ACK].stop(AFTER_ACK_FINISH_S)


async def _socket_mode_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[DESK].settings
    handler = AsyncSocketModeHandler(app[BOLT], settings.slack_app_token)
    await handler.connect_async()
    yield
    # Bounded: a Slack that does not answer the close must not hold the stop.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(3):
            await handler.close_async()


async def slack_events(request: web.Request) -> web.Response:
    # Bolt answers a non-numeric timestamp with a 500; it is a forged or broken request.
    if not is_number(request.headers.get("X-Slack-Request-Timestamp", ""), 12):
        return web.Response(status=401, text="invalid request")
    if not request.headers.get("X-Slack-Signature", "").isascii():
        return web.Response(status=401, text="invalid request")
    try:
        (await request.read()).decode("utf-8")
    except UnicodeDecodeError:
        return web.Response(status=400, text="invalid request")
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(await request.app[BOLT].async_dispatch(bolt_request))
