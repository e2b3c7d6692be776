"""Every request answered from one table: its type → the function that answers it.

Refusals become the answer (with the field they concern, for a modal); storage that cannot be
written becomes "nothing was saved, try again" rather than Slack's own timeout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.cases.parts import Parts
from bot.commands import admin, changes, periods, reads, shifts, templates
from bot.commands.parse import parse
from bot.commands.reply import STORAGE_BUSY, TEAM_ONLY_ANSWER, Asked, Reply, refused
from bot.domain.change import Refused
from bot.domain.requests import READS_TICKETS, Request
from store.db import StorageUnavailable

Handler = Callable[[Parts, Asked, Any], Awaitable[Reply]]
HANDLERS: dict[type, Handler] = {
    **reads.HANDLERS,
    **changes.HANDLERS,
    **admin.HANDLERS,
    **periods.HANDLERS,
    **templates.HANDLERS,
    **shifts.HANDLERS,
}


class Commands:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def run(self, asked: Asked, request: Request) -> Reply:
        if isinstance(request, READS_TICKETS) and asked.actor.role is None:
            return refused(TEAM_ONLY_ANSWER)
        try:
            return await HANDLERS[type(request)](self.parts, asked, request)
        except Refused as refusal:
            return refused(refusal.message, refusal.field)
        except StorageUnavailable:
            # Nothing was changed (the transaction rolled back): say so.
            return refused(STORAGE_BUSY)

    async def run_line(self, asked: Asked, text: str) -> Reply:
        """One `/hib2b …` line."""
        try:
            request = parse(text)
        except Refused as refusal:
            return refused(refusal.message, refusal.field)
        return await self.run(asked, request)
