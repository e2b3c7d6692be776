"""The delivery queue: durable rows of Slack posts, file uploads and emails to send."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from store.db import Database, fetch_all, to_db
from store.models import Delivery, NewDelivery


async def enqueue(conn: aiosqlite.Connection, item: NewDelivery, now: datetime) -> None:
    """Add a delivery inside the caller's transaction. A key already queued is left as it is."""
    await enqueue_many(conn, [item], now)


async def enqueue_many(conn: aiosqlite.Connection, items: list[NewDelivery], now: datetime) -> None:
    """Several deliveries in three statements (the watcher queues many at once)."""
    if not items:
        return
    afters = sorted({item.after for item in items if item.after is not None})
    ids: dict[str, int] = {}
    if afters:
        marks = ", ".join("?" for _ in afters)
        rows = await fetch_all(conn, f"SELECT key, id FROM outbox WHERE key IN ({marks})", afters)
        ids = {row[0]: row[1] for row in rows}
        missing = set(afters) - set(ids)
        if missing:
            raise LookupError(f"deliveries {sorted(missing)} are not queued")
    stamp = to_db(now)
    await conn.executemany(
        "INSERT INTO outbox (key, lane, kind, ticket, after, payload, next_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
        [
            (
                item.key,
                item.lane,
                item.kind,
                item.ticket,
                ids[item.after] if item.after is not None else None,
                json.dumps(item.payload, ensure_ascii=False),
                stamp,
                stamp,
            )
            for item in items
        ],
    )


_DUE = """
    FROM outbox AS o
    WHERE o.lane = ? AND o.status = 'pending'
      AND (o.after IS NULL OR (SELECT status FROM outbox WHERE id = o.after) = 'done')
"""


async def claim_next(db: Database, lane: str, now: datetime) -> Delivery | None:
    """Take the oldest due delivery of a lane: marked `sending`, its attempt counted. One
    statement, so one trip: a lane claims once per delivery, dozens of times a second in a
    burst. A claim its caller never saw (cancelled) stays `sending` until the lane starts
    again (`release_inflight`)."""
    if db.engine == "postgresql":
        return await _claim_shared(db, lane, now)
    rows = await db.write(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
        f" WHERE id = (SELECT o.id {_DUE} AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT 1)"
        " RETURNING *",
        (lane, to_db(now)),
    )
    return Delivery.from_row(rows[0]) if rows else None


async def _claim_shared(db: Any, lane: str, now: datetime) -> Delivery | None:
    """The claim among replicas: a row another process is claiming is skipped, not waited
    for; the claim carries this process's number, so it goes back to the queue if the process
    dies (store.replicas). Nothing is claimed while this process's presence is not held."""
    if not db.present:
        return None
    rows = await db.write(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, owner = ?"
        f" WHERE id = (SELECT o.id {_DUE} AND o.next_at <= ? ORDER BY o.next_at, o.id LIMIT 1"
        " FOR UPDATE SKIP LOCKED) RETURNING *",
        (db.owner, lane, to_db(now)),
    )
    return Delivery.from_row(rows[0]) if rows else None


async def next_due_at(db: Database, lane: str) -> datetime | None:
    row = await db.fetchone(f"SELECT min(o.next_at) {_DUE}", (lane,))
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def mark_done(conn: aiosqlite.Connection, item_id: int, result: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE outbox SET status = 'done', result = ?, last_error = '', done_at = ? WHERE id = ?",
        (result, to_db(now), item_id),
    )


async def reschedule(db: Database, item_id: int, at: datetime, error: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'pending', next_at = ?, last_error = ? WHERE id = ?",
            (to_db(at), error, item_id),
        )


async def mark_failed(db: Database, item_id: int, error: str) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (error, item_id)
        )


async def save_state(db: Database, item_id: int, state: dict[str, Any]) -> None:
    """Record progress of a multi-step delivery before the next step, so a retry resumes."""
    async with db.transaction() as conn:
        await conn.execute("UPDATE outbox SET state = ? WHERE id = ?", (json.dumps(state), item_id))


async def release_inflight(db: Database, lane: str) -> int:
    """As a lane starts: its deliveries left `sending` (by a crash, or by the lane's own failed
    run) go back to the queue.

    Their attempt count stays, which tells the sender a previous try may have arrived.
    """
    async with db.transaction() as conn:
        if db.engine == "postgresql":
            # Only this process's own: another replica's are in flight (store.replicas puts
            # back those of the dead).
            cursor = await conn.execute(
                "UPDATE outbox SET status = 'pending', owner = NULL"
                " WHERE status = 'sending' AND lane = ? AND owner = ?",
                (lane, db.owner),
            )
            return cursor.rowcount
        cursor = await conn.execute(
            "UPDATE outbox SET status = 'pending' WHERE status = 'sending' AND lane = ?", (lane,)
        )
        return cursor.rowcount


async def release_mine(db: Any) -> int:
    """Among replicas, as this process stops: its claims pending again (its lanes have
    stopped), so another process sends them now."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE outbox SET status = 'pending', owner = NULL"
            " WHERE status = 'sending' AND owner = ?",
            (db.owner,),
        )
        return cursor.rowcount


async def retry_failed(db: Database, now: datetime, ids: list[int] | None = None) -> int:
    """Put failed deliveries (all, or those named) back in the queue, due now."""
    async with db.transaction() as conn:
        sql = "UPDATE outbox SET status = 'pending', next_at = ? WHERE status = 'failed'"
        params: list[Any] = [to_db(now)]
        if ids is not None:
            sql += f" AND id IN ({', '.join('?' for _ in ids)})"
            params += ids
        cursor = await conn.execute(sql, params)
        return cursor.rowcount


async def get_delivery(db: Database, key: str) -> Delivery | None:
    row = await db.fetchone("SELECT * FROM outbox WHERE key = ?", (key,))
    return Delivery.from_row(row) if row else None


async def deliveries(db: Database, status: str | None = None) -> list[Delivery]:
    if status is None:
        rows = await db.fetchall("SELECT * FROM outbox ORDER BY id")
    else:
        rows = await db.fetchall("SELECT * FROM outbox WHERE status = ? ORDER BY id", (status,))
    return [Delivery.from_row(row) for row in rows]


async def counts(db: Database) -> dict[str, int]:
    """Deliveries not done, by status, from the tally the queue's triggers keep (migration
    013): health is asked for often, and a backlog after an outage is tens of thousands."""
    rows = await db.fetchall(
        "SELECT status, sum(n) AS n FROM outbox_tally"
        " WHERE lane IN ('slack', 'email', 'reports') GROUP BY status"
    )
    found = {row["status"]: row["n"] for row in rows}
    return {status: found.get(status, 0) for status in ("pending", "sending", "failed")}


async def waiting_by_lane(db: Database) -> dict[tuple[str, str], int]:
    """(lane, status) -> deliveries pending, sending or failed, from the tally."""
    rows = await db.fetchall("SELECT lane, status, n FROM outbox_tally WHERE n > 0")
    return {(row[0], row[1]): int(row[2]) for row in rows}


async def oldest_waiting(db: Database) -> datetime | None:
    row = await db.fetchone(
        "SELECT min(created_at) FROM outbox INDEXED BY outbox_waiting"
        " WHERE status IN ('pending', 'sending') AND lane IN ('slack', 'email', 'reports')"
    )
    return datetime.fromisoformat(row[0]) if row and row[0] else None


async def prune_delivered(db: Database, before: datetime, limit: int) -> int:
    """Delete up to `limit` messages delivered before `before` (not cards); returns how many.
    Their keys are never asked for again (each names one event), so nothing can be resent."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox AS o WHERE status = 'done'"
            " AND kind != 'card' AND done_at < ?"
            # Never a row another one waits on (today only cards are, and they stay).
            " AND NOT EXISTS (SELECT 1 FROM outbox AS w WHERE w.after = o.id)"
            " ORDER BY done_at LIMIT ?)",
            (to_db(before), limit),
        )
    return cursor.rowcount
