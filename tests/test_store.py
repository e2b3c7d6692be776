"""The SQLite store on real files: migrations, numbering, the one-transaction rule."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cases import tickets
from bot.cases.tickets import create_from_form
from store import outbox as queue
from store import tickets as store
from store.db import Database, migrations
from store.tickets import NumberingStarted
from tests.records import CTX, SLA, report

NOW = datetime(2026, 11, 27, 17, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "hib2b.sqlite3")
    yield database
    await database.close()


async def test_migrations_are_tracked(tmp_path: Path, db: Database) -> None:
    row = await db.fetchone("PRAGMA user_version")
    assert row[0] == migrations()[-1][0]
    assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    await db.close()
    again = await Database.open(tmp_path / "hib2b.sqlite3")  # reopening applies nothing twice
    assert (await again.fetchone("PRAGMA user_version"))[0] == migrations()[-1][0]
    await again.close()


async def test_continuing_the_old_series_once(db: Database) -> None:
    await tickets.set_next_number(db, 166, NOW, "operador")
    created = await create_from_form(db, report("a"), NOW, CTX, SLA)
    assert created.number == 166
    with pytest.raises(NumberingStarted):
        await tickets.set_next_number(db, 500, NOW, "operador")
    assert (await create_from_form(db, report("b"), NOW, CTX, SLA)).number == 167


async def test_concurrent_creation_is_contiguous_across_connections(
    tmp_path: Path, db: Database
) -> None:
    # Two connections on one file, as the service and the CLI (or two processes) would be.
    other = await Database.open(tmp_path / "hib2b.sqlite3")
    try:
        results = await asyncio.gather(
            *[
                create_from_form(db if i % 2 else other, report(f"f{i}"), NOW, CTX, SLA)
                for i in range(40)
            ]
        )
    finally:
        await other.close()
    assert sorted(r.number for r in results) == list(range(1, 41))


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await store.take_number(conn)
            await conn.execute("INSERT INTO tickets (number) VALUES (NULL)")
    assert await store.next_number(db) == 1
    assert await queue.deliveries(db) == []


async def test_a_query_neither_waits_for_an_open_write_nor_sees_it_before_commit(
    db: Database,
) -> None:
    """A technician's `ver` must not queue behind a burst of forms being written."""
    async with db.transaction() as conn:
        await store.take_number(conn)
        # The write lock is held: a query still answers, with what was committed.
        row = await asyncio.wait_for(
            db.fetchone("SELECT value FROM counters WHERE name = 'ticket'"), timeout=5
        )
        assert row[0] == 0
    assert await store.next_number(db) == 2


async def test_queries_cannot_write(db: Database) -> None:
    async with db.read() as conn:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await conn.execute("DELETE FROM counters")
    assert await store.next_number(db) == 1


async def test_conectividad_defaults_to_critico_and_queues_card_and_mail(db: Database) -> None:
    created = await create_from_form(db, report("x"), NOW, CTX, SLA)
    ticket = await store.get_ticket(db, created.number)
    assert ticket is not None and ticket.severity == "critico" and ticket.status == "nuevo"
    keys = [d.key for d in await queue.deliveries(db)]
    assert keys == ["hd-1:card", "hd-1:mail:creado"]
    again = await create_from_form(db, report("x"), NOW, CTX, SLA)
    assert again.number == 1 and not again.new


async def test_a_transaction_cancelled_while_waiting_for_the_lock_leaves_no_transaction_open(
    tmp_path,
) -> None:
    import asyncio
    import sqlite3

    db = await Database.open(tmp_path / "hib2b.sqlite3", busy_timeout_s=1.0)
    other = sqlite3.connect(
        tmp_path / "hib2b.sqlite3", isolation_level=None, check_same_thread=False
    )
    await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")

    async def write() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO heartbeat (id, at) VALUES (1, 'x')")

    waiting = asyncio.create_task(write())
    await asyncio.sleep(0.1)  # it is now inside BEGIN IMMEDIATE, waiting on the other process
    waiting.cancel()
    other.execute("ROLLBACK")  # the lock is free: the abandoned BEGIN may now succeed
    other.close()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    async with db.transaction() as conn:  # would fail "within a transaction" if left open
        await conn.execute("INSERT INTO heartbeat (id, at) VALUES (1, 'y')")
    assert (await db.fetchone("SELECT at FROM heartbeat"))[0] == "y"
    await db.close()


async def test_pruning_finds_waiting_rows_through_an_index(db: Database) -> None:
    """Deleting a delivered row makes SQLite look for rows that wait on it; without an index
    each delete read the whole queue (minutes of write lock at a few hundred thousand rows)."""
    plan = await db.fetchall("EXPLAIN QUERY PLAN SELECT 1 FROM outbox WHERE after = 1")
    assert any("outbox_after" in row[-1] for row in plan), [row[-1] for row in plan]


async def test_a_display_name_is_kept_and_follows_changes(db: Database) -> None:
    from store import team

    await team.remember_name(db, "U0ANA", "ana")
    await team.remember_name(db, "U0ANA", "ana")  # every request sends it: nothing to write
    assert (await db.fetchone("SELECT name FROM people WHERE user_id = 'U0ANA'"))["name"] == "ana"
    await team.remember_name(db, "U0ANA", "ana.maria")
    row = await db.fetchone("SELECT name FROM people WHERE user_id = 'U0ANA'")
    assert row["name"] == "ana.maria"


async def test_the_open_tally_follows_every_change_of_a_ticket(db: Database) -> None:
    """The SLA report counts open tickets from a tally the tickets' triggers keep: after any
    mix of changes it says what counting the tickets says."""
    import random

    from store.sla import OPEN, open_counts

    for i in range(12):
        await create_from_form(db, report(f"x{i}"), NOW, CTX, SLA)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO clients (key, name, status_at, status_by, created_at)"
            " VALUES ('acme', 'Acme', '2026-01-01', 'test', '2026-01-01')"
        )
    chosen = random.Random(7)
    for _ in range(200):
        number = chosen.randint(1, 12)
        column, value = chosen.choice(
            [
                ("status", chosen.choice(["nuevo", "asignado", "esperando", "cerrado"])),
                ("severity", chosen.choice(["critico", "alto", "medio", "bajo"])),
                ("assignee", chosen.choice([None, "U0ANA", "U0LUIS"])),
                ("client", chosen.choice([None, "acme"])),
            ]
        )
        async with db.transaction() as conn:
            await conn.execute(f"UPDATE tickets SET {column} = ? WHERE number = ?", (value, number))
    await db.write("PRAGMA foreign_keys = OFF")  # the ticket alone, whatever refers to it
    await db.write("DELETE FROM tickets WHERE number = 3")
    await db.write("PRAGMA foreign_keys = ON")
    for client in (None, "acme"):
        counted: dict[str, dict[str, int]] = {"status": {}, "severity": {}, "assignee": {}}
        where = OPEN + (" AND client = 'acme'" if client else "")
        for row in await db.fetchall(f"SELECT * FROM tickets WHERE {where}"):
            for name in counted:
                key = row[name] or ""
                counted[name][key] = counted[name].get(key, 0) + 1
        assert await open_counts(db, client) == counted


async def test_the_queue_tally_follows_every_delivery(db: Database) -> None:
    """`/healthz` reads the queue's counts from a tally its triggers keep: after claims,
    retries, failures and pruning it says what counting the rows says."""
    import random

    for i in range(8):
        await create_from_form(db, report(f"x{i}"), NOW, CTX, SLA)
    chosen = random.Random(11)
    ids = [row[0] for row in await db.fetchall("SELECT id FROM outbox")]
    for _ in range(150):
        status = chosen.choice(["pending", "sending", "done", "failed"])
        await db.write("UPDATE outbox SET status = ? WHERE id = ?", (status, chosen.choice(ids)))
    await db.write("PRAGMA foreign_keys = OFF")
    await db.write("DELETE FROM outbox WHERE id IN (?, ?)", (ids[0], ids[1]))
    await db.write("PRAGMA foreign_keys = ON")
    rows = await db.fetchall(
        "SELECT status, count(*) FROM outbox WHERE status != 'done' GROUP BY status"
    )
    counted = {"pending": 0, "sending": 0, "failed": 0} | {row[0]: row[1] for row in rows}
    assert await queue.counts(db) == counted
    oldest = await db.fetchone(
        "SELECT min(created_at) FROM outbox WHERE status IN ('pending', 'sending')"
    )
    waiting = await queue.oldest_waiting(db)
    assert waiting == (datetime.fromisoformat(oldest[0]) if oldest and oldest[0] else None)
