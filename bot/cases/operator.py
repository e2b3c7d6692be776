"""What the operator does from the command line: backups, the numbering, the delivery queue,
clients in bulk and the portal's API keys. Every change here is made as `actor` (the operator,
who has lead rights, or `--as UXXXX`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.cases import clients, period, privacy, tickets
from bot.cases.clients import Imported
from bot.cases.parts import Parts
from bot.config import Settings
from bot.domain.change import Actor, Refused
from bot.domain.periods import Period
from bot.domain.tokens import Signer
from bot.render import export
from store import backup as backups
from store import clients as client_store
from store import outbox as queue
from store import tickets as ticket_store
from store.models import Delivery
from store.tickets import NumberingStarted

__all__ = ["BackupError", "NumberingStarted", "Operator", "restore"]

BackupError = backups.BackupError


@dataclass(frozen=True)
class Backed:
    files: int  # listed in the manifest, the database included
    missing: tuple[str, ...]  # referred to by the database but gone from disk meanwhile
    key_included: bool  # False: the key is HIB2B_SECRET_KEY, kept by whoever keeps the settings


class Operator:
    def __init__(self, parts: Parts, signer: Signer | None = None) -> None:
        self.parts = parts
        self._signer = signer

    # --- a person's data (LFPDPPP) ----------------------------------------------------------
    def _subject(self, correo: str) -> str:
        # The privacy log names the person by an HMAC of their address, never the address.
        if self._signer is None:
            raise RuntimeError("the operator was built without the desk's key")
        return self._signer.fingerprint("privacidad", correo.strip().lower())

    async def privacy_find(self, correo: str, actor: Actor) -> privacy.Found:
        return await privacy.find(self.parts, correo, actor.user_id, self._subject(correo))

    async def privacy_export(self, correo: str, target: Path, actor: Actor) -> privacy.Found:
        return await privacy.export(
            self.parts, correo, target, actor.user_id, self._subject(correo)
        )

    async def privacy_suppress(self, correo: str, actor: Actor) -> privacy.Suppressed:
        return await privacy.suppress(self.parts, correo, actor.user_id, self._subject(correo))

    async def backup(self, target: Path) -> Backed:
        """A new folder with a consistent copy of the database (also while the service runs),
        the attachments it refers to, the key and the manifest of their SHA-256 sums. Raises
        `BackupError` when `target` exists: a backup never overwrites anything, and on
        PostgreSQL, whose database the server's own tools back up."""
        if self.parts.settings.database_url:
            raise BackupError(
                "la base está en PostgreSQL: respáldela con pg_dump (o los respaldos del "
                "servidor) y copie aparte la carpeta de datos (adjuntos y clave)"
            )
        try:
            await asyncio.to_thread(target.mkdir, parents=True, mode=0o700)
        except FileExistsError:
            raise BackupError(f"{target} ya existe: elija una carpeta nueva") from None
        database = target / backups.DATABASE
        await self.parts.db.backup(database)
        data_dir = self.parts.settings.data_dir
        names = await asyncio.to_thread(backups.referred_files, database)
        missing = await asyncio.to_thread(backups.copy_files, data_dir, target, names)
        files = await asyncio.to_thread(backups.write_manifest, target)
        return Backed(files, tuple(missing), (target / backups.KEY).exists())

    async def export_rows(
        self, since: date, until: date, client: str | None = None
    ) -> AsyncIterator[tuple[export.Cell, ...]]:
        """The tickets received from `since` to `until` (inclusive, local dates), of one client
        or all, as the export's rows (`export.COLUMNS`), a page at a time."""
        async for row in period.export_rows(self.parts, _period(since, until), client):
            yield row

    async def export(self, target: Path, since: date, until: date, client: str | None) -> int:
        """The export written to `target` (.csv or .xlsx); returns how many tickets. Raises
        `Refused`, ValueError (the format) or OSError (the disk; nothing left under `target`)."""
        return await period.export(self.parts, target, _period(since, until), client)

    async def report(self, since: date, until: date, client: str | None, fmt: str) -> period.Drawn:
        """The period's report with its chart as `fmt` (png or pdf; empty: no chart). Raises
        `Refused`."""
        if not fmt:
            return await period.gather(self.parts, _period(since, until), client)
        return await period.draw(self.parts, _period(since, until), client, fmt)

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


def _period(since: date, until: date) -> Period:
    if until < since:
        raise Refused("La fecha final es anterior a la inicial.")
    return Period(since, until)


def restore(settings: Settings, folder: Path) -> int:
    """Fill the (empty or missing) data folder from a backup after checking every sum; returns
    the files restored. Blocking: before any service or database is open. Raises BackupError."""
    if settings.db_path.resolve() != (settings.data_dir / backups.DATABASE).resolve():
        raise BackupError(
            "HIB2B_DB apunta fuera de HIB2B_DATA_DIR: restaure sin HIB2B_DB y mueva la base después"
        )
    return backups.restore(folder, settings.data_dir)
