"""Reminders recorded per clock generation, and the watcher's indexed look-up."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import to_db
from store.models import Ticket


async def recorded(conn: aiosqlite.Connection, ticket: int) -> set[tuple[str, int, str]]:
    rows = await (
        await conn.execute("SELECT clock, gen, stage FROM reminders WHERE ticket = ?", (ticket,))
    ).fetchall()
    return {(row[0], row[1], row[2]) for row in rows}


async def record(
    conn: aiosqlite.Connection,
    ticket: int,
    clock: str,
    gen: int,
    stage: str,
    at: datetime,
    sent: bool,
) -> bool:
    """Record a reminder stage; False when another pass or process recorded it first."""
    cursor = await conn.execute(
        "INSERT INTO reminders (ticket, clock, gen, stage, at, sent) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (ticket, clock, gen, stage, to_db(at), int(sent)),
    )
    return cursor.rowcount == 1


async def due_tickets(conn: aiosqlite.Connection, now: datetime, limit: int) -> list[Ticket]:
    rows = await (
        await conn.execute(
            "SELECT * FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= ?"
            " ORDER BY sla_next_at LIMIT ?",
            (to_db(now), limit),
        )
    ).fetchall()
    return [Ticket.from_row(row) for row in rows]


async def set_next(conn: aiosqlite.Connection, ticket: int, at: datetime | None) -> None:
    await conn.execute(
        "UPDATE tickets SET sla_next_at = ? WHERE number = ?", (to_db(at) if at else None, ticket)
    )


async def reminders_of(conn: aiosqlite.Connection, ticket: int) -> list[dict]:
    rows = await (
        await conn.execute(
            "SELECT clock, gen, stage, at, sent FROM reminders WHERE ticket = ? ORDER BY at",
            (ticket,),
        )
    ).fetchall()
    return [dict(row) for row in rows]
