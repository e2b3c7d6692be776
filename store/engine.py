"""Which store a desk runs on: its SQLite file (the default), or PostgreSQL when
`HIB2B_DATABASE_URL` names one (several services may then share it)."""

from __future__ import annotations

from pathlib import Path

from store.db import Database
from store.postgres import PgDatabase

Store = Database | PgDatabase


async def open_store(url: str | None, path: Path, busy_timeout_s: float) -> Store:
    if url:
        return await PgDatabase.open(url, busy_timeout_s)
    return await Database.open(path, busy_timeout_s)


def is_shared(db: Store) -> bool:
    """Whether other processes may use this database at the same time."""
    return isinstance(db, PgDatabase)
