"""What the operator does from the command line: backups, the numbering, the delivery queue,
clients in bulk and the portal's API keys. Every change here is made as `actor` (the operator,
who has lead rights, or `--as UXXXX`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.cases import clients, tickets
from bot.cases.clients import Imported
from bot.cases.parts import Parts
from bot.domain.change import Actor
from store import clients as client_store
from store import outbox as queue
from store import tickets as ticket_store
from store.models import Delivery
from store.tickets import NumberingStarted

__all__ = ["NumberingStarted", "Operator"]


class Operator:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    async def backup(self, target: Path) -> None:
        """A consistent copy of the database, also while the service runs; never overwrites
        (sqlite3.OperationalError when `target` exists)."""
        await self.parts.db.backup(target)

    async def next_number(self) -> int:
        return await ticket_store.next_number(self.parts.db)

    async def set_next_number(self, number: int, actor: Actor) -> None:
        """Raises `NumberingStarted` once a ticket exists, ValueError for a number below 1."""
        await tickets.set_next_number(self.parts.db, number, self.parts.now(), actor.user_id)

    async def pending_deliveries(self) -> list[Delivery]:
        return [d for d in await queue.deliveries(self.parts.db) if d.status != "done"]

    async def retry_failed(self, ids: list[int] | None) -> int:
        return await queue.retry_failed(self.parts.db, self.parts.now(), ids)

    async def import_clients(self, actor: Actor, text: str) -> Imported:
        return await clients.import_csv(self.parts.db, actor, text, self.parts.now())

    async def issue_api_key(self, actor: Actor, client: str) -> str:
        return await clients.issue_api_key(self.parts.db, actor, client, self.parts.now())

    async def revoke_api_key(self, actor: Actor, key_id: int) -> str:
        return await clients.revoke_api_key(self.parts.db, actor, key_id, self.parts.now())

    async def api_keys(self) -> list[dict[str, Any]]:
        return await client_store.api_keys(self.parts.db)
