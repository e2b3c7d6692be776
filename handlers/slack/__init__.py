"""Slack listeners: one module per listener kind, each with `register(app, desk)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Desk
from handlers.slack import actions, commands, home, views
from handlers.slack.after import AfterAck
from handlers.slack.home import Homes


def build_bolt_app(desk: Desk, after: AfterAck) -> AsyncApp:
    settings = desk.settings
    app = AsyncApp(
        client=AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url),
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode delivers over an authenticated websocket: there is nothing to sign.
        request_verification_enabled=settings.mode == "http",
        # Listeners run before Bolt answers: no 10 ms polling for each ack. What must not
        # delay the answer runs after it (`AfterAck`).
        process_before_response=True,
    )
    # Bolt tries listeners in order, building each one's arguments: `/hib2b`, the most
    # frequent by far, first (the three never match the same request).
    homes = Homes(desk, after)
    commands.register(app, desk, homes)
    actions.register(app, desk, after, homes)
    views.register(app, desk, after, homes)
    home.register(app, homes)
    return app
