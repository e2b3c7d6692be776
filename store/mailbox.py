"""What the support mailbox has seen, and the Message-IDs we sent (so replies find a ticket)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, fetch_one, to_db


async def remember_sent(conn: aiosqlite.Connection, message_id: str, ticket: int) -> None:
    await conn.execute(
        "INSERT INTO sent_messages (message_id, ticket) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (message_id, ticket),
    )


async def route_sent(conn: aiosqlite.Connection, source: int, target: int) -> None:
    """Replies to what was sent about `source` reach `target` (a merge)."""
    await conn.execute("UPDATE sent_messages SET ticket = ? WHERE ticket = ?", (target, source))


async def ticket_of_sent(conn: aiosqlite.Connection, message_ids: tuple[str, ...]) -> int | None:
    """The ticket of the first of `message_ids` that is one of ours."""
    for message_id in message_ids:
        row = await fetch_one(
            conn, "SELECT ticket FROM sent_messages WHERE message_id = ?", (message_id,)
        )
        if row:
            return int(row[0])
    return None


async def seen_outcome(conn: aiosqlite.Connection, message_id: str) -> str | None:
    row = await fetch_one(conn, "SELECT outcome FROM inbound WHERE message_id = ?", (message_id,))
    return row[0] if row else None


async def record(
    conn: aiosqlite.Connection,
    message_id: str,
    uid: str,
    ticket: int | None,
    outcome: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO inbound (message_id, mailbox_uid, ticket, outcome, at) VALUES (?, ?, ?, ?, ?)",
        (message_id, uid, ticket, outcome, to_db(at)),
    )


async def record_failure(
    db: Database, message_id: str, uid: str, reason: str, at: datetime
) -> None:
    """A message that could not be processed, kept once with the reason for an operator."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO inbound (message_id, mailbox_uid, ticket, outcome, at)"
            " VALUES (?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING",
            (message_id, uid, reason[:500], to_db(at)),
        )
