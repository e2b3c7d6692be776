"""Housekeeping: files kept for forms that were never sent again are deleted after a day;
delivered messages are pruned after `HIB2B_KEEP_SENT` (their Message-IDs stay for threading)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.delivery.supervisor import Worker
from store import files, uploads
from store import outbox as queue
from store.db import Database

log = logging.getLogger("hib2b.janitor")

KEEP_ABANDONED = timedelta(hours=25)  # longer than a form token lives
SWEEP_EVERY_S = 3600.0
PRUNE_BATCH = 2000  # rows per transaction: the write lock is held for milliseconds at a time


async def sweep_abandoned_uploads(db: Database, data_dir: Path, now: datetime) -> int:
    expired = await uploads.expire_uploads(db, now - KEEP_ABANDONED)
    for file in expired:
        await asyncio.to_thread(files.remove, data_dir, file.stored_name)
    if expired:
        log.info("deleted %d files of abandoned forms", len(expired))
    return len(expired)


async def prune_sent(db: Database, before: datetime) -> int:
    """Delete what was delivered before `before`, a batch at a time, letting other writers in
    between batches."""
    pruned = 0
    while True:
        count = await queue.prune_delivered(db, before, PRUNE_BATCH)
        pruned += count
        if count < PRUNE_BATCH:
            break
        await asyncio.sleep(0)
    if pruned:
        log.info("pruned %d delivered messages older than %s", pruned, before.date())
    return pruned


async def run(
    db: Database,
    data_dir: Path,
    keep_sent: timedelta | None,
    now: Callable[[], datetime],
    worker: Worker,
) -> None:
    """The janitor's worker: a sweep every hour until the service stops. `keep_sent` None:
    delivered messages are kept."""
    while True:
        await sweep_abandoned_uploads(db, data_dir, now())
        if keep_sent is not None:
            await prune_sent(db, now() - keep_sent)
        worker.ok()
        await asyncio.sleep(SWEEP_EVERY_S)
