"""Queries on tickets, their attachments and the audit trail.

Functions taking a `conn` run inside the caller's transaction; those taking a `Database`
open their own read.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from store.db import Database, fetch_all, fetch_one, to_db
from store.models import StoredFile, Ticket
from store.sla import OPEN


@dataclass(frozen=True)
class NewTicket:
    created_at: datetime
    source: str
    form_id: str | None
    tipo: str
    severity: str
    status: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    client_ip: str
    email_thread: str | None


class NumberingStarted(Exception):
    """The next ticket number can only be set before the first ticket exists."""


async def take_number(conn: aiosqlite.Connection) -> int:
    """The next HD number. Inside the ticket's transaction, so a rollback gives it back."""
    row = await fetch_one(
        conn, "UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value"
    )
    assert row is not None, "the ticket counter is created by the first migration"
    return int(row[0])


async def set_next_number(conn: aiosqlite.Connection, number: int) -> None:
    row = await fetch_one(conn, "SELECT count(*) FROM tickets")
    if row[0]:
        raise NumberingStarted
    await conn.execute("UPDATE counters SET value = ? WHERE name = 'ticket'", (number - 1,))


async def next_number(db: Database) -> int:
    row = await db.fetchone("SELECT value FROM counters WHERE name = 'ticket'")
    return int(row[0]) + 1


async def insert_ticket(conn: aiosqlite.Connection, number: int, ticket: NewTicket) -> None:
    values = asdict(ticket)
    values["created_at"] = to_db(ticket.created_at)
    values["number"] = number
    names = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    await conn.execute(f"INSERT INTO tickets ({names}) VALUES ({marks})", values)


async def ticket_by_form(conn: aiosqlite.Connection, form_id: str) -> Ticket | None:
    row = await fetch_one(conn, "SELECT * FROM tickets WHERE form_id = ?", (form_id,))
    return Ticket.from_row(row) if row else None


async def get_ticket(db: Database, number: int) -> Ticket | None:
    async with db.read() as conn:
        return await locked_ticket(conn, number)


async def count_tickets(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM tickets")
    return int(row[0])


async def set_card(conn: aiosqlite.Connection, number: int, channel: str, ts: str) -> None:
    await conn.execute(
        "UPDATE tickets SET slack_channel = ?, slack_ts = ? WHERE number = ?", (channel, ts, number)
    )


async def insert_attachment(conn: aiosqlite.Connection, ticket: int, file: StoredFile) -> int:
    cursor = await conn.execute(
        "INSERT INTO attachments (ticket, stored_name, display_name, content_type, size, sha256,"
        " cfdi, cfdi_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            ticket,
            file.stored_name,
            file.display_name,
            file.content_type,
            file.size,
            file.sha256,
            file.cfdi,
            file.cfdi_uuid,
        ),
    )
    return int((await cursor.fetchone())[0])


_FILE = "x_file_"  # the attachment's columns in `ticket_and_files`, beside the ticket's


async def possible_duplicate(
    conn: aiosqlite.Connection,
    number: int,
    uuids: list[str],
    correo: str,
    tipo: str,
    since: datetime,
) -> int | None:
    """Another open ticket this one may repeat: one holding the same invoice (UUID), else the
    newest from the same address about the same incident type since `since`."""
    found = await ticket_with_invoice(conn, number, uuids)
    if found is not None:
        return found
    row = await fetch_one(
        conn,
        "SELECT number FROM tickets WHERE correo = ? COLLATE NOCASE AND tipo = ?"
        f" AND number <> ? AND {OPEN} AND created_at >= ?"
        " ORDER BY number DESC LIMIT 1",
        (correo, tipo, number, to_db(since)),
    )
    return int(row[0]) if row is not None else None


async def ticket_with_invoice(
    conn: aiosqlite.Connection, number: int, uuids: list[str]
) -> int | None:
    """The first other open ticket holding one of these invoices (by CFDI UUID)."""
    if not uuids:
        return None
    marks = ", ".join("?" * len(uuids))
    row = await fetch_one(
        conn,
        "SELECT a.ticket FROM attachments AS a JOIN tickets AS t ON t.number = a.ticket"
        f" WHERE a.cfdi_uuid IN ({marks}) AND a.ticket <> ? AND t.{OPEN}"
        " ORDER BY a.ticket LIMIT 1",
        (*uuids, number),
    )
    return int(row[0]) if row is not None else None


async def ticket_and_files(db: Database, number: int) -> tuple[Ticket, list[StoredFile]] | None:
    """A ticket and its attachments in one query (one trip to SQLite's thread, not two: `ver`
    asks for both on every request)."""
    columns = ", ".join(f"a.{name} AS {_FILE}{name}" for name in StoredFile.__dataclass_fields__)
    rows = await db.fetchall(
        f"SELECT t.*, {columns} FROM tickets AS t"
        " LEFT JOIN attachments AS a ON a.ticket = t.number WHERE t.number = ? ORDER BY a.id",
        (number,),
    )
    if not rows:
        return None
    ticket = {key: value for key, value in dict(rows[0]).items() if not key.startswith(_FILE)}
    files = [
        StoredFile(**{name: row[_FILE + name] for name in StoredFile.__dataclass_fields__})
        for row in rows
        if row[_FILE + "id"] is not None
    ]
    return Ticket.from_row(ticket), files  # type: ignore[arg-type]


async def attachments_of(db: Database, ticket: int) -> list[StoredFile]:
    rows = await db.fetchall("SELECT * FROM attachments WHERE ticket = ? ORDER BY id", (ticket,))
    return [StoredFile.from_row(row) for row in rows]


async def attachments_in(conn: aiosqlite.Connection, ticket: int) -> list[StoredFile]:
    rows = await fetch_all(
        conn, "SELECT * FROM attachments WHERE ticket = ? ORDER BY id", (ticket,)
    )
    return [StoredFile.from_row(row) for row in rows]


async def add_audit(
    conn: aiosqlite.Connection,
    ticket: int | None,
    at: datetime,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO audit (ticket, at, actor, action, detail) VALUES (?, ?, ?, ?, ?) RETURNING id",
        (
            ticket,
            to_db(at),
            actor,
            action,
            json.dumps(detail or {}, ensure_ascii=False, default=str),
        ),
    )
    return int((await cursor.fetchone())[0])


async def audit_of(db: Database, ticket: int) -> list[dict[str, Any]]:
    async with db.read() as conn:
        return await audit_in(conn, ticket)


async def get_attachment(db: Database, attachment_id: int) -> StoredFile | None:
    row = await db.fetchone("SELECT * FROM attachments WHERE id = ?", (attachment_id,))
    return StoredFile.from_row(row) if row else None


async def locked_ticket(conn: aiosqlite.Connection, number: int) -> Ticket | None:
    """The ticket, read inside the caller's write transaction."""
    row = await fetch_one(conn, "SELECT * FROM tickets WHERE number = ?", (number,))
    return Ticket.from_row(row) if row else None


_UPDATABLE = frozenset(
    {
        "status",
        "severity",
        "assignee",
        "ever_assigned",
        "first_contact_at",
        "waiting_since",
        "closed_at",
        "close_kind",
        "close_cause",
        "close_summary",
        "duplicate_of",
        "duplicate_hint",
        "rating",
        "rating_comment",
        "rated_at",
        "updated_at",
        "fc_target_at",
        "fc_warn_at",
        "fc_due_at",
        "fc_business_s",
        "res_started_at",
        "res_used_s",
        "res_target_at",
        "res_warn_at",
        "res_due_at",
        "res_gen",
        "sla_next_at",
        "client",
        "triage",
        "sla_runs",
        "opened_by",
        "mail_bounced",
        "related_to",
    }
)


async def update_ticket(conn: aiosqlite.Connection, number: int, fields: dict[str, Any]) -> None:
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"not ticket fields: {sorted(unknown)}")
    values = {
        name: to_db(value) if isinstance(value, datetime) else value
        for name, value in fields.items()
    }
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    await conn.execute(
        f"UPDATE tickets SET {assignments} WHERE number = :number", {**values, "number": number}
    )


async def audit_in(conn: aiosqlite.Connection, ticket: int) -> list[dict[str, Any]]:
    rows = await fetch_all(
        conn, "SELECT at, actor, action, detail FROM audit WHERE ticket = ? ORDER BY id", (ticket,)
    )
    return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]


async def open_tickets(
    db: Database,
    limit: int,
    assignee: str | None = None,
    unassigned: bool = False,
    client: str | None = None,
) -> tuple[list[Ticket], int]:
    """Open tickets, the first `limit` by number, and how many there are."""
    where = OPEN
    params: dict[str, Any] = {"limit": limit}
    if assignee is not None:
        where += " AND assignee = :assignee"
        params["assignee"] = assignee
    if unassigned:
        where += " AND assignee IS NULL"
    if client is not None:
        where += " AND client = :client"
        params["client"] = client
    async with db.read() as conn:
        total = await fetch_one(conn, f"SELECT count(*) FROM tickets WHERE {where}", params)
        rows = await fetch_all(
            conn, f"SELECT * FROM tickets WHERE {where} ORDER BY number LIMIT :limit", params
        )
    return [Ticket.from_row(row) for row in rows], int(total[0]) if total else 0


async def request_applied(conn: aiosqlite.Connection, key: str) -> bool:
    """Whether a Slack request (by its key) was already applied."""
    row = await fetch_one(conn, "SELECT 1 FROM applied_requests WHERE key = ?", (key,))
    return row is not None


async def remember_request(conn: aiosqlite.Connection, key: str, at: datetime) -> None:
    await conn.execute("INSERT INTO applied_requests (key, at) VALUES (?, ?)", (key, to_db(at)))


async def created_at(conn: aiosqlite.Connection, number: int) -> str | None:
    row = await fetch_one(conn, "SELECT created_at FROM tickets WHERE number = ?", (number,))
    return row[0] if row else None


async def last_client_of(conn: aiosqlite.Connection, correo: str) -> str | None:
    """The client of the latest ticket from `correo` that had one (an email names no portal)."""
    row = await fetch_one(
        conn,
        "SELECT client FROM tickets WHERE correo = ? AND client IS NOT NULL"
        " ORDER BY number DESC LIMIT 1",
        (correo,),
    )
    return row[0] if row else None


async def count_by_status(db: Database) -> dict[str, int]:
    """Tickets by status: the open ones from the tally, the closed ones counted through the
    status index (tens of milliseconds at a million, on the reader's thread)."""
    rows = await db.fetchall(
        "SELECT status, sum(n) FROM open_tally WHERE n > 0 GROUP BY status"
        " UNION ALL SELECT 'cerrado', count(*) FROM tickets WHERE status = 'cerrado'"
    )
    return {row[0]: int(row[1]) for row in rows}


EXPORTED = (
    "number, created_at, usuario, correo, tipo, severity, status, first_contact_at, fc_due_at,"
    " fc_business_s, closed_at, close_kind, close_cause, res_used_s, res_gen, client, rating"
)


async def tickets_received(
    db: Database, since: datetime, until: datetime, client: str | None, after: int, limit: int
) -> list[sqlite3.Row]:
    """Tickets received in [since, until) (of one client), numbered above `after`, the first
    `limit` by number: the export reads a page at a time, whatever the desk's size. Only the
    export's columns (`EXPORTED`, times as stored), with `client_name` and `technician`."""
    params = {
        "since": to_db(since),
        "until": to_db(until),
        "client": client,
        "after": after,
        "limit": limit,
    }
    columns = ", ".join(f"t.{name.strip()}" for name in EXPORTED.split(","))
    return await db.fetchall(
        f"SELECT {columns}, coalesce(c.name, t.client, '') AS client_name,"
        " coalesce(p.name, t.assignee, '') AS technician"
        " FROM tickets AS t LEFT JOIN clients AS c ON c.key = t.client"
        " LEFT JOIN people AS p ON p.user_id = t.assignee"
        " WHERE t.number > :after AND t.created_at >= :since AND t.created_at < :until"
        + (" AND t.client = :client" if client else "")
        + " ORDER BY t.number LIMIT :limit",
        params,
    )
