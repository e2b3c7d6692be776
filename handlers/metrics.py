"""`GET /metrics` for Prometheus (bearer token when `HIB2B_METRICS_TOKEN` is set), and how long
each request took, by the pattern of its route: never the path asked, which may carry a key."""

from __future__ import annotations

import hmac
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.desk import METRICS_CONTENT_TYPE
from handlers.keys import DESK


@web.middleware
async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        request.app[DESK].observe_request(route, request.method, time.perf_counter() - started)


async def metrics(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    token = desk.settings.metrics_token
    if token is not None:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            return web.Response(
                status=401, text="unauthorized", headers={"WWW-Authenticate": "Bearer"}
            )
    return web.Response(body=await desk.metrics(), headers={"Content-Type": METRICS_CONTENT_TYPE})


def register(app: web.Application) -> None:
    # First, so it times what every other middleware does too.
    app.middlewares.insert(0, timed)
    app.router.add_get("/metrics", metrics)
