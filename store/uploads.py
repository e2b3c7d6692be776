"""Files kept for a form that was shown again, by the form's id."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, to_db
from store.models import StoredFile


async def add_upload(
    db: Database, form_id: str, file: StoredFile, at: datetime, client_ip: str = ""
) -> StoredFile:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO form_uploads (form_id, stored_name, display_name, content_type, size,"
            " sha256, created_at, client_ip, cfdi, cfdi_uuid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                form_id,
                file.stored_name,
                file.display_name,
                file.content_type,
                file.size,
                file.sha256,
                to_db(at),
                client_ip,
                file.cfdi,
                file.cfdi_uuid,
            ),
        )
        return replace(file, id=int((await cursor.fetchone())[0]))


async def uploads_of(db: Database, form_id: str) -> list[StoredFile]:
    rows = await db.fetchall("SELECT * FROM form_uploads WHERE form_id = ? ORDER BY id", (form_id,))
    return [StoredFile.from_row(row) for row in rows]


async def remove_uploads(db: Database, form_id: str, ids: list[int]) -> list[StoredFile]:
    """Forget the files the supplier chose to drop; returns them so the caller deletes them."""
    if not ids:
        return []
    async with db.transaction() as conn:
        marks = ", ".join("?" for _ in ids)
        rows = await fetch_all(
            conn,
            f"DELETE FROM form_uploads WHERE form_id = ? AND id IN ({marks}) RETURNING *",
            (form_id, *ids),
        )
    return [StoredFile.from_row(row) for row in rows]


async def claim_uploads(conn: aiosqlite.Connection, form_id: str) -> list[StoredFile]:
    """Inside the ticket's transaction: the form's files become the ticket's."""
    rows = await fetch_all(
        conn, "DELETE FROM form_uploads WHERE form_id = ? RETURNING *", (form_id,)
    )
    return sorted((StoredFile.from_row(row) for row in rows), key=lambda f: f.id)


async def expire_uploads(db: Database, before: datetime) -> list[StoredFile]:
    """Forget the files of forms abandoned before `before`; the caller deletes them."""
    async with db.transaction() as conn:
        rows = await fetch_all(
            conn, "DELETE FROM form_uploads WHERE created_at < ? RETURNING *", (to_db(before),)
        )
    return [StoredFile.from_row(row) for row in rows]


async def pending_bytes(db: Database, client_ip: str) -> tuple[int, int]:
    """Bytes kept for forms not yet sent: in all, and from `client_ip`."""
    row = await db.fetchone(
        "SELECT coalesce(sum(size), 0), coalesce(sum(size) FILTER (WHERE client_ip = ?), 0)"
        " FROM form_uploads",
        (client_ip,),
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)
