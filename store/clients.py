"""Client companies, their host names, API keys and idempotent API requests."""

from __future__ import annotations

import json
from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, fetch_one, to_db
from store.models import Client


async def _hosts(conn: aiosqlite.Connection, key: str) -> tuple[str, ...]:
    rows = await fetch_all(
        conn, "SELECT host FROM client_hosts WHERE client = ? ORDER BY host", (key,)
    )
    return tuple(row[0] for row in rows)


async def client_in(conn: aiosqlite.Connection, key: str) -> Client | None:
    row = await fetch_one(conn, "SELECT * FROM clients WHERE key = ?", (key,))
    return Client.from_row(row, await _hosts(conn, key)) if row else None


async def get_client(db: Database, key: str) -> Client | None:
    async with db.read() as conn:
        return await client_in(conn, key)


async def client_by_host(db: Database, host: str) -> Client | None:
    async with db.read() as conn:
        row = await fetch_one(conn, "SELECT client FROM client_hosts WHERE host = ?", (host,))
        return await client_in(conn, row[0]) if row else None


async def all_clients(db: Database) -> list[Client]:
    """Every client with its hosts, in two queries however many there are."""
    async with db.read() as conn:
        rows = await fetch_all(conn, "SELECT * FROM clients ORDER BY key")
        hosts: dict[str, list[str]] = {}
        for client, host in await fetch_all(
            conn, "SELECT client, host FROM client_hosts ORDER BY host"
        ):
            hosts.setdefault(client, []).append(host)
    return [Client.from_row(row, tuple(hosts.get(row["key"], ()))) for row in rows]


async def insert_client(
    conn: aiosqlite.Connection,
    key: str,
    name: str,
    hosts: list[str],
    status: str,
    actor: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO clients (key, name, status, status_at, status_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (key, name, status, to_db(at), actor, to_db(at)),
    )
    await conn.executemany(
        "INSERT INTO client_hosts (host, client) VALUES (?, ?)", [(host, key) for host in hosts]
    )


async def host_owner(conn: aiosqlite.Connection, host: str) -> str | None:
    row = await fetch_one(conn, "SELECT client FROM client_hosts WHERE host = ?", (host,))
    return row[0] if row else None


async def set_status(
    conn: aiosqlite.Connection, key: str, status: str, actor: str, at: datetime
) -> None:
    await conn.execute(
        "UPDATE clients SET status = ?, status_at = ?, status_by = ? WHERE key = ?",
        (status, to_db(at), actor, key),
    )


async def set_plan(conn: aiosqlite.Connection, key: str, plan: dict[str, str] | None) -> None:
    await conn.execute(
        "UPDATE clients SET plan = ? WHERE key = ?", (json.dumps(plan) if plan else None, key)
    )


async def set_rfcs(conn: aiosqlite.Connection, key: str, rfcs: list[str]) -> None:
    await conn.execute("UPDATE clients SET rfcs = ? WHERE key = ?", (" ".join(rfcs), key))


async def add_api_key(
    conn: aiosqlite.Connection, client: str, prefix: str, digest: str, actor: str, at: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO api_keys (client, prefix, hash, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        (client, prefix, digest, to_db(at), actor),
    )
    return int((await cursor.fetchone())[0])


async def client_of_api_key(db: Database, digest: str) -> str | None:
    row = await db.fetchone(
        "SELECT client FROM api_keys WHERE hash = ? AND revoked_at IS NULL", (digest,)
    )
    return row[0] if row else None


async def api_keys(db: Database) -> list[dict]:
    rows = await db.fetchall(
        "SELECT id, client, prefix, created_at, created_by, revoked_at FROM api_keys ORDER BY id"
    )
    return [dict(row) for row in rows]


async def revoke_api_key(conn: aiosqlite.Connection, key_id: int, at: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (to_db(at), key_id),
    )
    return cursor.rowcount == 1


async def idempotent(conn: aiosqlite.Connection, client: str, key: str) -> tuple[str, int] | None:
    row = await fetch_one(
        conn, "SELECT request, ticket FROM idempotency WHERE client = ? AND key = ?", (client, key)
    )
    return (row[0], int(row[1])) if row else None


async def remember_request(
    conn: aiosqlite.Connection, client: str, key: str, request: str, ticket: int, at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO idempotency (client, key, request, ticket, created_at) VALUES (?, ?, ?, ?, ?)",
        (client, key, request, ticket, to_db(at)),
    )
