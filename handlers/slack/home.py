"""App Home: published when a team member opens the tab, and again after each of their own
actions (a click, a command, a modal) while the service runs — so their lists follow what they
do. Slack sends `app_home_opened` over HTTP and over Socket Mode alike."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Desk
from handlers.slack.after import AfterAck

HOME_TAB = "home"


class Homes:
    """Whose Home this service has published: only theirs follow their actions (a person who
    never opened the tab costs no call to Slack)."""

    def __init__(self, desk: Desk, after: AfterAck) -> None:
        self._desk = desk
        self._after = after
        self._opened: set[str] = set()

    async def publish(self, client: AsyncWebClient, user: str) -> None:
        view = await self._desk.home_view(user)
        await client.views_publish(user_id=user, view=view)

    def opened(self, client: AsyncWebClient, user: str) -> None:
        self._opened.add(user)
        self._after.run(self.publish(client, user), "home")

    def acted(self, client: AsyncWebClient, user: str) -> None:
        """`user` changed something: their Home, if published, shows it."""
        if user in self._opened:
            self._after.run(self.publish(client, user), "home")


def register(app: AsyncApp, homes: Homes) -> None:
    @app.event("app_home_opened")
    async def opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        # Bolt acks an event when its listener returns: the view is built and published after.
        if event.get("tab") == HOME_TAB and event.get("user"):
            homes.opened(client, event["user"])
