"""A person's data, found and suppressed (LFPDPPP's access and cancellation rights, and the
retention period).

Suppression keeps each ticket as an anonymous statistic: its number, dates, type, severity,
client, technician, clocks and close kind stay (so SLA figures do not move); the supplier's
name, address, description, portal link, IP, the closing summary, every text of its timeline,
its attachments' records and the deliveries' contents go. The writer connection runs with
`secure_delete`, so what is replaced is zeroed in the file, not left in free space."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from store import search
from store.db import Database, fetch_all, to_db

SUPPRESSED = "(datos suprimidos)"


class StillOpen(Exception):
    """Tickets that are open again: their data is still needed to serve the person."""

    def __init__(self, numbers: list[int]) -> None:
        super().__init__(numbers)
        self.numbers = numbers


# A person's own tickets: their address, whatever its case (the index is NOCASE).
_THEIRS = "FROM tickets WHERE correo = :correo COLLATE NOCASE"


async def tickets_of(db: Database, correo: str) -> list[sqlite3.Row]:
    return await db.fetchall(f"SELECT * {_THEIRS} ORDER BY number", {"correo": correo})


async def written_elsewhere(
    db: Database, correo: str, own: list[int]
) -> tuple[list[sqlite3.Row], list[sqlite3.Row]]:
    """Timeline entries and deliveries of other tickets whose text holds the address (an email
    they sent about a colleague's ticket, a technician's note quoting it): candidates by
    substring, for the caller to match whole addresses (`ana@x.mx` is not in `juliana@x.mx`)."""
    marks = ", ".join(str(int(n)) for n in own) or "0"
    params = {"needle": correo.lower()}
    audit = await db.fetchall(
        "SELECT id, ticket, at, action, detail FROM audit WHERE instr(lower(detail), :needle) > 0"
        f" AND (ticket IS NULL OR ticket NOT IN ({marks})) ORDER BY id",
        params,
    )
    outbox = await db.fetchall(
        "SELECT id, ticket, payload, state FROM outbox"
        " WHERE instr(lower(payload) || lower(state), :needle) > 0"
        f" AND (ticket IS NULL OR ticket NOT IN ({marks})) ORDER BY id",
        params,
    )
    return audit, outbox


async def timeline(db: Database, numbers: list[int]) -> list[sqlite3.Row]:
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    return await db.fetchall(
        f"SELECT ticket, at, actor, action, detail FROM audit WHERE ticket IN ({marks})"
        " ORDER BY ticket, id",
        numbers,
    )


async def emails_to(db: Database, numbers: list[int]) -> list[sqlite3.Row]:
    """The emails queued to these tickets' supplier, with what was sent when it is kept."""
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    return await db.fetchall(
        f"SELECT key, ticket, status, created_at, done_at, payload, state FROM outbox"
        f" WHERE kind = 'email' AND ticket IN ({marks}) ORDER BY id",
        numbers,
    )


async def attachments_of(db: Database, numbers: list[int]) -> list[sqlite3.Row]:
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    return await db.fetchall(
        f"SELECT * FROM attachments WHERE ticket IN ({marks}) ORDER BY ticket, id", numbers
    )


async def suppress(
    conn: aiosqlite.Connection, numbers: list[int], now: datetime, actor: str, reason: str
) -> list[str]:
    """Suppress these tickets' personal data inside the caller's transaction; returns the
    attachments' stored names, for the caller to delete from disk once it commits."""
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    stamp = to_db(now)
    # Checked here, inside the transaction: a ticket reopened since it was found stays whole.
    reopened = await fetch_all(
        conn,
        f"SELECT number FROM tickets WHERE number IN ({marks}) AND status != 'cerrado'",
        numbers,
    )
    if reopened:
        raise StillOpen([row[0] for row in reopened])
    rows = await fetch_all(
        conn, f"SELECT stored_name FROM attachments WHERE ticket IN ({marks})", numbers
    )
    await conn.execute(f"DELETE FROM attachments WHERE ticket IN ({marks})", numbers)
    # A later email from the person is no longer a reply to these: it opens a new ticket.
    await conn.execute(f"DELETE FROM sent_messages WHERE ticket IN ({marks})", numbers)
    await conn.execute(
        "UPDATE tickets SET usuario = ?, correo = '', descripcion = ?, liga_portal = '',"
        " client_ip = '', rating_comment = NULL,"
        " close_summary = CASE WHEN close_summary IS NULL THEN NULL ELSE ? END,"
        f" suppressed_at = ? WHERE number IN ({marks})",
        (SUPPRESSED, SUPPRESSED, SUPPRESSED, stamp, *numbers),
    )
    # What happened stays (who took it, when it was answered); what was said goes.
    await conn.execute(f"UPDATE audit SET detail = '{{}}' WHERE ticket IN ({marks})", numbers)
    await search.forget_texts(conn, numbers)
    await conn.execute(
        # Nothing still queued for them leaves (its content is gone): done, as suppressed.
        "UPDATE outbox SET payload = '{}', state = '{}', status = 'done',"
        " result = CASE WHEN status = 'done' THEN result ELSE 'suprimido' END,"
        f" done_at = coalesce(done_at, ?), last_error = '' WHERE ticket IN ({marks})",
        (stamp, *numbers),
    )
    await conn.executemany(
        "INSERT INTO audit (ticket, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)",
        [
            (number, stamp, actor, "datos_suprimidos", json.dumps({"motivo": reason}))
            for number in numbers
        ],
    )
    return [row[0] for row in rows]


async def redact(
    conn: aiosqlite.Connection,
    audit: list[tuple[int, str]],
    outbox: list[tuple[int, str, str]],
) -> None:
    """Other tickets' texts that named the person, rewritten without them: (id, detail) and
    (id, payload, state); their deliveries still go, without the address."""
    if audit:
        await conn.executemany(
            "UPDATE audit SET detail = ? WHERE id = ?", [(d, i) for i, d in audit]
        )
        marks = ", ".join("?" for _ in audit)
        rows = await fetch_all(
            conn, f"SELECT DISTINCT ticket FROM audit WHERE id IN ({marks})", [i for i, _ in audit]
        )
        await search.forget_texts(conn, [row[0] for row in rows if row[0] is not None])
    if outbox:
        await conn.executemany(
            "UPDATE outbox SET payload = ?, state = ? WHERE id = ?",
            [(p, st, i) for i, p, st in outbox],
        )


async def expired(db: Database, closed_before: datetime, after: str, limit: int) -> list[Any]:
    """Closed tickets not yet suppressed, closed before `closed_before` and after `after` (the
    last one of the previous batch), oldest first: (closed_at, number, slack_ts) rows."""
    return await db.fetchall(
        "SELECT closed_at, number, slack_ts FROM tickets INDEXED BY tickets_res_stats"
        " WHERE closed_at < :before AND closed_at > :after AND suppressed_at IS NULL"
        " AND status = 'cerrado' ORDER BY closed_at LIMIT :limit",
        {"before": to_db(closed_before), "after": after, "limit": limit},
    )


async def record_request(
    conn: aiosqlite.Connection, now: datetime, actor: str, action: str, subject: str, count: int
) -> None:
    await conn.execute(
        "INSERT INTO privacy_requests (at, actor, action, subject, tickets) VALUES (?, ?, ?, ?, ?)",
        (to_db(now), actor, action, subject, count),
    )
