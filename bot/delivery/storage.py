"""The storage's own health: whether the database and the attachments' folder can be written
now, proved by a small write every few seconds (a full disk shows in `/healthz` as `failing`
and clears once there is room)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.delivery.supervisor import Worker
from store import files
from store.db import STORAGE_ERRNOS, Database, StorageUnavailable

log = logging.getLogger("hib2b")


class FilesHealth:
    """Whether attachments can be written: a full disk may hold the files but not the database
    (or the other way round), so each has its own verdict, each cleared by its own success."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.failure: str | None = None

    def failed(self, error: OSError) -> None:
        self.failure = f"{error.strerror or error} ({Path(error.filename or '').name or 'archivo'})"

    async def probe(self) -> None:
        """Write, sync and delete a small file where attachments go: ENOSPC shows here."""
        try:
            await asyncio.to_thread(files.probe, self.folder)
        except OSError as error:
            if error.errno not in STORAGE_ERRNOS:
                raise
            self.failed(error)
        else:
            self.failure = None


async def heartbeat(
    db: Database, disk: FilesHealth, now: Callable[[], datetime], every_s: float, worker: Worker
) -> None:
    """The storage's worker: proves every few seconds that the database and the attachments'
    folder can be written, so `/healthz` turns `failing` on a full disk and back to `ok` once
    there is room again."""
    while True:
        was_writable = db.writable and disk.failure is None
        # A failure is recorded on the database itself (db.write_failure): /healthz says so.
        with contextlib.suppress(StorageUnavailable):
            await db.heartbeat(now())
        await disk.probe()
        writable = db.writable and disk.failure is None
        if was_writable and not writable:
            log.error("storage cannot be written: %s", db.write_failure or disk.failure)
        elif writable and not was_writable:
            log.warning("storage can be written again")
        if writable:
            worker.ok()
        await asyncio.sleep(every_s)
