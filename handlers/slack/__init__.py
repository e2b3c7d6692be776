"""Slack listeners: one module per listener kind, each with `register(app, services)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services import Services, slack_client
from handlers.slack import actions, commands, views


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    app = AsyncApp(
        client=slack_client(settings),
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode delivers over an authenticated websocket: there is nothing to sign.
        request_verification_enabled=settings.mode == "http",
        process_before_response=False,
    )
    actions.register(app, services)
    commands.register(app, services)
    views.register(app, services)
    return app
