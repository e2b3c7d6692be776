"""The composition root: one aiohttp application serving the form, Slack's requests and health,
with the desk's services started and stopped by `cleanup_ctx`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot import replies
from bot.config import MIB, Settings
from bot.imap import MailboxReader
from bot.services import Services, utc_now
from bot.text import is_number
from handlers import api
from handlers import web as web_routes
from handlers.slack import build_bolt_app

log = logging.getLogger("hib2b")

BOLT = web.AppKey("bolt", AsyncApp)


def create_app(settings: Settings, now: Callable[[], datetime] = utc_now) -> web.Application:
    services = Services(settings, now)
    app = web.Application(client_max_size=2 * MIB)
    app[web_routes.SERVICES] = services
    web_routes.register(app)
    api.register(app)
    app.cleanup_ctx.append(_services_ctx)
    if settings.imap_host:
        app.cleanup_ctx.append(_mailbox_ctx)
    if settings.mode != "local":
        bolt = build_bolt_app(services)
        app[BOLT] = bolt
        if settings.mode == "http":
            app.router.add_post("/slack/events", slack_events)
        else:
            app.cleanup_ctx.append(_socket_mode_ctx)
    return app


async def _services_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[web_routes.SERVICES]
    await services.start()
    log.info(
        "desk started in %s mode; database %s", services.settings.mode, services.settings.db_path
    )
    yield
    await services.stop()


async def _mailbox_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[web_routes.SERVICES]

    async def handle(raw: bytes, uid: str) -> str:
        return await replies.receive(services, raw, uid)

    async def failed(raw: bytes, uid: str, error: Exception) -> None:
        await replies.record_failure(services, raw, uid, error)

    reader = MailboxReader(services.settings, handle, failed)
    services.mailbox = reader.status
    # Stopped with the other workers (the services' context ends after this one).
    services.supervisor.start(
        "mailbox",
        reader.run,
        stale_after_s=3 * services.settings.imap_poll.total_seconds() + 60,
    )
    yield


async def _socket_mode_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[web_routes.SERVICES].settings
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
