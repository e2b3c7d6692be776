"""Canned replies (migration 017)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, fetch_one, to_db


async def all_templates(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT name, text FROM templates ORDER BY name")
    return [(row[0], row[1]) for row in rows]


async def get(db: Database, name: str) -> str | None:
    row = await db.fetchone("SELECT text FROM templates WHERE name = ?", (name,))
    return row[0] if row else None


async def put(conn: aiosqlite.Connection, name: str, text: str, actor: str, now: datetime) -> bool:
    """Add or replace; True when it is new."""
    existed = await fetch_one(conn, "SELECT 1 FROM templates WHERE name = ?", (name,))
    await conn.execute(
        "INSERT INTO templates (name, text, added_by, added_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET text = excluded.text, added_by = excluded.added_by,"
        " added_at = excluded.added_at",
        (name, text, actor, to_db(now)),
    )
    return existed is None


async def remove(conn: aiosqlite.Connection, name: str) -> bool:
    cursor = await conn.execute("DELETE FROM templates WHERE name = ?", (name,))
    return cursor.rowcount == 1
