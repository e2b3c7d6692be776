"""`hib2b migrar`: an SQLite desk copied into an empty PostgreSQL database, row for row, and
checked by counting.

Every table's rows keep their keys (ticket numbers, delivery ids: the queue's `after` links and
the audit's order stay). The tables the triggers keep (the open and waiting tallies, the search
index) are not copied: inserting the tickets, the audit and the queue fills them as it does on a
live desk. Files stay where they are: the records name them relative to the data folder, which
the replicas share."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from store.db import Database
from store.postgres import PgDatabase

# Parents before children (the foreign keys), each table whole.
TABLES = (
    "clients",
    "client_hosts",
    "tickets",
    "attachments",
    "form_uploads",
    "audit",
    "outbox",
    "reminders",
    "api_keys",
    "idempotency",
    "sent_messages",
    "inbound",
    "team",
    "people",
    "applied_requests",
    "report_runs",
    "privacy_requests",
    "templates",
    "shifts",
    "counters",
    "heartbeat",
)
# Rows the new database starts with (the migrations' seeds): replaced by the desk's own.
SEEDED = ("templates", "counters")
BATCH = 5000


class NotEmpty(Exception):
    """The target already holds a desk: copying into it would mix two."""


class CountMismatch(Exception):
    """A table did not arrive whole (nothing of the copy was kept)."""


@dataclass(frozen=True)
class Counted:
    table: str
    source: int
    target: int


def _converter(data_type: str) -> Callable[[Any], Any]:
    """SQLite keeps what it was given in any column; PostgreSQL wants the column's type."""
    if data_type in ("bigint", "integer", "smallint"):
        return lambda value: None if value is None else int(value)
    if data_type in ("double precision", "real"):
        return lambda value: None if value is None else float(value)
    return lambda value: None if value is None else str(value)


async def copy_desk(
    source: Path, url: str, progress: Callable[[str, int], None] = lambda table, rows: None
) -> list[Counted]:
    """Copy the desk at `source` (migrated to the latest version first) into the empty
    PostgreSQL database at `url` in one transaction; returns each table's two counts."""
    await (await Database.open(source)).close()  # brought to the latest schema
    target = await PgDatabase.open(url)  # its schema created
    await target.close()
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    conn = await asyncpg.connect(url)
    try:
        # One state of the SQLite desk for every table (its write-ahead log keeps it).
        reader.execute("BEGIN")
        async with conn.transaction():
            if await conn.fetchval("SELECT count(*) FROM tickets") or await conn.fetchval(
                "SELECT count(*) FROM outbox"
            ):
                raise NotEmpty(url)
            for table in SEEDED:
                await conn.execute(f"DELETE FROM {table}")
            counted = []
            for table in TABLES:
                count = await _copy_table(reader, conn, table, progress)
                arrived = await conn.fetchval(f"SELECT count(*) FROM {table}")
                counted.append(Counted(table, count, arrived))
                if arrived != count:
                    raise CountMismatch(f"{table}: {count} rows in SQLite, {arrived} copied")
            await _continue_sequences(conn)
            await _check_derived(conn)
        # The planner's statistics and the visibility map now, not at autovacuum's leisure:
        # a freshly copied desk otherwise counts its open tickets through the table itself.
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        reader.close()
        await conn.close()
    return counted


async def _copy_table(
    reader: sqlite3.Connection,
    conn: asyncpg.Connection,
    table: str,
    progress: Callable[[str, int], None],
) -> int:
    types = {
        row["column_name"]: row["data_type"]
        for row in await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            table,
        )
    }
    source_columns = [row[1] for row in reader.execute(f"PRAGMA table_info({table})")]
    columns = [name for name in source_columns if name in types]
    convert = [_converter(types[name]) for name in columns]
    cursor = reader.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
    copied = 0
    while rows := cursor.fetchmany(BATCH):
        records = [tuple(c(v) for c, v in zip(convert, row, strict=True)) for row in rows]
        # COPY fires the row triggers: the tallies and the search index are built as it goes.
        await conn.copy_records_to_table(table, records=records, columns=columns)
        copied += len(records)
        progress(table, copied)
    return copied


async def _continue_sequences(conn: asyncpg.Connection) -> None:
    """Identity columns go on after the copied ids, not from 1."""
    rows = await conn.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for row in rows:
        table, column = row["table_name"], row["column_name"]
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )


async def _check_derived(conn: asyncpg.Connection) -> None:
    """What the triggers built agrees with the rows: the open tickets, the waiting deliveries,
    one search entry per ticket."""
    checks = (
        (
            "open tickets",
            "SELECT count(*) FROM tickets WHERE status IN ('nuevo', 'asignado', 'esperando')",
            "SELECT coalesce(sum(n), 0) FROM open_tally",
        ),
        (
            "waiting deliveries",
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending', 'failed')",
            "SELECT coalesce(sum(n), 0) FROM outbox_tally",
        ),
        ("search entries", "SELECT count(*) FROM tickets", "SELECT count(*) FROM ticket_search"),
    )
    for name, rows_sql, derived_sql in checks:
        rows, derived = await conn.fetchval(rows_sql), await conn.fetchval(derived_sql)
        if rows != derived:
            raise CountMismatch(f"{name}: {rows} rows, {derived} counted by the triggers")
