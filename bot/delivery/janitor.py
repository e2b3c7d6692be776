"""Housekeeping: files kept for forms that were never sent again are deleted after a day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.delivery.supervisor import Worker
from store import files, uploads
from store.db import Database

log = logging.getLogger("hib2b.janitor")

KEEP_ABANDONED = timedelta(hours=25)  # longer than a form token lives
SWEEP_EVERY_S = 3600.0


async def sweep_abandoned_uploads(db: Database, data_dir: Path, now: datetime) -> int:
    expired = await uploads.expire_uploads(db, now - KEEP_ABANDONED)
    for file in expired:
        await asyncio.to_thread(files.remove, data_dir, file.stored_name)
    if expired:
        log.info("deleted %d files of abandoned forms", len(expired))
    return len(expired)


async def run(db: Database, data_dir: Path, now: Callable[[], datetime], worker: Worker) -> None:
    """The janitor's worker: a sweep every hour until the service stops."""
    while True:
        await sweep_abandoned_uploads(db, data_dir, now())
        worker.ok()
        await asyncio.sleep(SWEEP_EVERY_S)
