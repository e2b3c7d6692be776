"""Team members added from Slack or the CLI, and the display names seen in Slack."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, fetch_one, to_db


async def add_member(
    conn: aiosqlite.Connection, user_id: str, role: str, name: str, added_by: str, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO team (user_id, role, name, added_by, added_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET role = excluded.role,"
        " name = CASE WHEN excluded.name = '' THEN team.name ELSE excluded.name END",
        (user_id, role, name, added_by, to_db(at)),
    )


async def remove_member(conn: aiosqlite.Connection, user_id: str) -> bool:
    # Off shift too: someone no longer on the team must not be handed new tickets.
    await conn.execute("DELETE FROM shifts WHERE user_id = ?", (user_id,))
    cursor = await conn.execute("DELETE FROM team WHERE user_id = ?", (user_id,))
    return cursor.rowcount > 0


async def members(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT user_id, role FROM team ORDER BY user_id")
    return {row["user_id"]: row["role"] for row in rows}


async def name_and_role(db: Database, user_id: str) -> tuple[str | None, str | None]:
    """The display name kept for `user_id` and their role in the table, in one read: every
    Slack request asks both."""
    row = await db.fetchone(
        "SELECT (SELECT name FROM people WHERE user_id = :user),"
        " (SELECT role FROM team WHERE user_id = :user)",
        {"user": user_id},
    )
    return (row[0], row[1]) if row else (None, None)


async def remember_name(db: Database, user_id: str, name: str, known: str | None = None) -> None:
    """Keep the display name Slack sent (`known`: the one kept, if the caller read it). Every
    request brings it: a write transaction only when it changed (a read costs no write lock
    and no commit)."""
    if not name:
        return
    if known is None:
        row = await db.fetchone("SELECT name FROM people WHERE user_id = ?", (user_id,))
        known = row["name"] if row else None
    if known == name:
        return
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO people (user_id, name) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
            (user_id, name),
        )


async def name_of(conn: aiosqlite.Connection, user_id: str | None) -> str:
    if not user_id:
        return ""
    row = await fetch_one(conn, "SELECT name FROM people WHERE user_id = ?", (user_id,))
    return row[0] if row else ""


async def leads_in(conn: aiosqlite.Connection, configured: tuple[str, ...]) -> list[str]:
    """Every lead, inside the caller's transaction."""
    rows = await fetch_all(conn, "SELECT user_id FROM team WHERE role = 'lider' ORDER BY user_id")
    return list(dict.fromkeys([*configured, *(row[0] for row in rows)]))


async def leads(db: Database, configured: tuple[str, ...]) -> list[str]:
    """Every lead: those configured and those added with the lead role."""
    async with db.read() as conn:
        return await leads_in(conn, configured)
