"""Who is on shift, and whose turn it is (migration 019)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, fetch_one, to_db


async def enter(conn: aiosqlite.Connection, user: str, now: datetime) -> bool:
    """True when `user` was not on shift yet."""
    cursor = await conn.execute(
        "INSERT INTO shifts (user_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (user, to_db(now)),
    )
    return cursor.rowcount == 1


async def leave(conn: aiosqlite.Connection, user: str) -> bool:
    cursor = await conn.execute("DELETE FROM shifts WHERE user_id = ?", (user,))
    return cursor.rowcount == 1


async def on_shift(db: Database) -> list[tuple[str, str]]:
    """(user, since) of everyone on shift, in the order turns go."""
    rows = await db.fetchall("SELECT user_id, since FROM shifts ORDER BY user_id")
    return [(row[0], row[1]) for row in rows]


async def open_load(db: Database) -> dict[str, int]:
    """Open tickets per assignee, from the tally the tickets' triggers keep."""
    rows = await db.fetchall(
        "SELECT assignee, sum(n) FROM open_tally WHERE assignee != '' GROUP BY assignee"
    )
    return {row[0]: int(row[1]) for row in rows}


async def next_in_turn(conn: aiosqlite.Connection) -> str | None:
    """The next one on shift, round-robin; None when nobody is. Inside the ticket's
    transaction, so two tickets created at once go to two people."""
    people = [row[0] for row in await fetch_all(conn, "SELECT user_id FROM shifts ORDER BY 1")]
    if not people:
        return None
    turn = await fetch_one(
        conn, "UPDATE counters SET value = value + 1 WHERE name = 'round_robin' RETURNING value"
    )
    assert turn is not None, "migration 019 creates the counter"
    return people[(int(turn[0]) - 1) % len(people)]
