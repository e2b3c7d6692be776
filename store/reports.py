"""What period reports read: the tickets touched in a period, and the scheduled reports
already queued."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, to_db

# The columns `bot.domain.period_report.summarize` reads (ratings come with the ratings table).
_COLUMNS = (
    "number, created_at, client, severity, first_contact_at, fc_due_at, closed_at,"
    " close_kind, res_gen, res_used_s, rating"
)


async def touched(
    db: Database, since: datetime, until: datetime, client: str | None = None
) -> list[sqlite3.Row]:
    """Tickets received, first contacted or closed in [since, until), each once: SQLite
    reads the three index ranges and merges them by row (an OR, not a UNION, which would sort
    and compare every column), on a connection of its own (a long read never holds up the
    desk's)."""
    of = " AND client = :client" if client else ""
    ranges = " OR ".join(
        f"({column} >= :since AND {column} < :until)"
        for column in ("created_at", "first_contact_at", "closed_at")
    )
    params = {"since": to_db(since), "until": to_db(until), "client": client}
    async with db.long_read() as conn:
        return await fetch_all(conn, f"SELECT {_COLUMNS} FROM tickets WHERE ({ranges}){of}", params)


async def any_received_before(db: Database, before: datetime) -> bool:
    row = await db.fetchone("SELECT 1 FROM tickets WHERE created_at < ? LIMIT 1", (to_db(before),))
    return row is not None


async def was_queued(db: Database, period: str) -> bool:
    return await db.fetchone("SELECT 1 FROM report_runs WHERE period = ?", (period,)) is not None


async def mark_queued(conn: aiosqlite.Connection, period: str, now: datetime) -> bool:
    """Record that `period`'s scheduled report was queued; False if it already was."""
    cursor = await conn.execute(
        "INSERT INTO report_runs (period, queued_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (period, to_db(now)),
    )
    return cursor.rowcount == 1
