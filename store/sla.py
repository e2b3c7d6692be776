"""Reminders recorded per clock generation, and the watcher's indexed look-up."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, to_db
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


async def open_counts(db: Database) -> dict[str, dict[str, int]]:
    """Open tickets by status, by severity and by assignee ('' for nobody)."""
    counts: dict[str, dict[str, int]] = {"status": {}, "severity": {}, "assignee": {}}
    rows = await db.fetchall(
        "SELECT status, severity, coalesce(assignee, '') AS assignee, count(*) AS n"
        " FROM tickets WHERE status != 'cerrado' GROUP BY status, severity, assignee"
    )
    for row in rows:
        for name in counts:
            counts[name][row[name]] = counts[name].get(row[name], 0) + row["n"]
    return counts


_WARNED = """
    status != 'cerrado' AND (
      (first_contact_at IS NULL AND coalesce(fc_warn_at, fc_due_at) <= :now)
      OR (res_started_at IS NOT NULL AND coalesce(res_warn_at, res_due_at) <= :now))
"""
_BREACHED = """
    status != 'cerrado' AND (
      (first_contact_at IS NULL AND fc_due_at <= :now)
      OR (res_started_at IS NOT NULL AND res_due_at <= :now))
"""


async def warned_tickets(db: Database, now: datetime) -> list[Ticket]:
    """Open tickets with a running clock past 75 % of its deadline (breached included)."""
    rows = await db.fetchall(f"SELECT * FROM tickets WHERE {_WARNED}", {"now": to_db(now)})
    return [Ticket.from_row(row) for row in rows]


async def breached_tickets(db: Database, now: datetime) -> list[Ticket]:
    rows = await db.fetchall(
        f"SELECT * FROM tickets WHERE {_BREACHED} ORDER BY number", {"now": to_db(now)}
    )
    return [Ticket.from_row(row) for row in rows]


async def first_contacts_since(db: Database, since: datetime) -> list[tuple[bool, bool, float]]:
    """(on time, before target, business seconds) of first contacts made since `since`."""
    rows = await db.fetchall(
        "SELECT first_contact_at <= fc_due_at, first_contact_at <= fc_target_at, fc_business_s"
        " FROM tickets WHERE first_contact_at >= ? AND fc_due_at IS NOT NULL"
        " AND fc_business_s IS NOT NULL",
        (to_db(since),),
    )
    return [(bool(r[0]), bool(r[1]), float(r[2])) for r in rows]


async def resolutions_since(db: Database, since: datetime) -> list[tuple[str, float]]:
    """(severity, business seconds used) of tickets resolved since `since`."""
    rows = await db.fetchall(
        "SELECT severity, res_used_s FROM tickets WHERE closed_at >= ?"
        " AND close_kind = 'resuelto' AND res_gen > 0 AND status = 'cerrado'",
        (to_db(since),),
    )
    return [(r[0], float(r[1])) for r in rows]
