"""Reminders recorded per clock generation, and the watcher's indexed look-up."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from store.db import Database, fetch_all, fetch_one, to_db
from store.models import Ticket


async def recorded(conn: aiosqlite.Connection, ticket: int) -> set[tuple[str, int, str]]:
    return (await recorded_for(conn, [ticket]))[ticket]


async def recorded_for(
    conn: aiosqlite.Connection, tickets: list[int]
) -> dict[int, set[tuple[str, int, str]]]:
    """Reminders recorded so far, for several tickets in one query."""
    found: dict[int, set[tuple[str, int, str]]] = {number: set() for number in tickets}
    if not tickets:
        return found
    marks = ", ".join("?" for _ in tickets)
    rows = await fetch_all(
        conn, f"SELECT ticket, clock, gen, stage FROM reminders WHERE ticket IN ({marks})", tickets
    )
    for row in rows:
        found[row[0]].add((row[1], row[2], row[3]))
    return found


async def record_many(conn: aiosqlite.Connection, rows: list[tuple]) -> None:
    """(ticket, clock, gen, stage, at, sent) rows. The caller read `recorded_for` in the same
    BEGIN IMMEDIATE transaction, so none of them can exist yet."""
    await conn.executemany(
        "INSERT INTO reminders (ticket, clock, gen, stage, at, sent) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


async def due_tickets(conn: aiosqlite.Connection, now: datetime, limit: int) -> list[Ticket]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= ?"
        " ORDER BY sla_next_at LIMIT ?",
        (to_db(now), limit),
    )
    return [Ticket.from_row(row) for row in rows]


async def set_next_many(
    conn: aiosqlite.Connection, rows: list[tuple[datetime | None, int]]
) -> None:
    await conn.executemany(
        "UPDATE tickets SET sla_next_at = ? WHERE number = ?",
        [(to_db(at) if at else None, number) for at, number in rows],
    )


async def reminders_of(conn: aiosqlite.Connection, ticket: int) -> list[dict]:
    rows = await fetch_all(
        conn,
        "SELECT clock, gen, stage, at, sent FROM reminders WHERE ticket = ? ORDER BY at",
        (ticket,),
    )
    return [dict(row) for row in rows]


def _of(client: str | None) -> str:
    # Added only when asked: the desk-wide queries keep using their covering indexes.
    return " AND client = :client" if client else ""


async def open_counts(db: Database, client: str | None = None) -> dict[str, dict[str, int]]:
    """Open tickets by status, by severity and by assignee ('' for nobody), from the tally the
    tickets' own triggers keep (migration 012)."""
    counts: dict[str, dict[str, int]] = {"status": {}, "severity": {}, "assignee": {}}
    rows = await db.fetchall(
        "SELECT status, severity, assignee, n FROM open_tally WHERE n > 0"
        + (" AND client = :client" if client else ""),
        {"client": client},
    )
    for row in rows:
        for name in counts:
            counts[name][row[name]] = counts[name].get(row[name], 0) + row["n"]
    return counts


# Open tickets through the status index (`!= 'cerrado'` would read the whole table).
OPEN = "status IN ('nuevo', 'asignado', 'esperando')"
# One running clock per open ticket: first contact until it happens, then resolution. These
# are the condition and the expressions of the `tickets_running` index (migration 011).
_RUNS = f"""{OPEN} AND sla_runs = 1
      AND (first_contact_at IS NULL OR res_started_at IS NOT NULL)"""
_DUE = "(CASE WHEN first_contact_at IS NULL THEN fc_due_at ELSE res_due_at END)"
_WARN = """(CASE WHEN first_contact_at IS NULL THEN coalesce(fc_warn_at, fc_due_at)
          ELSE coalesce(res_warn_at, res_due_at) END)"""
_CLOCK = "CASE WHEN first_contact_at IS NULL THEN 'primer_contacto' ELSE 'resolucion' END"


def _running_from(client: str | None) -> str:
    # Desk-wide, the clocks' own index (SQLite would rather read the open tickets' index,
    # without statistics to tell it better); one client's few are in the open tickets' index.
    return "tickets INDEXED BY tickets_running" if client is None else "tickets"


async def clock_alerts(
    db: Database, now: datetime, limit: int, client: str | None = None
) -> tuple[list[dict], int, list[dict], int]:
    """Running clocks past their deadline (most overdue first) and past 75 % of it (nearest
    deadline first): the first `limit` of each with how many there are in all.
    Rows: number, assignee, clock, due."""
    params = {"now": to_db(now), "client": client, "limit": limit}
    source = f"FROM {_running_from(client)} WHERE {_RUNS}{_of(client)}"
    past = f"{source} AND {_DUE} <= :now"
    near = f"{source} AND {_DUE} > :now AND {_WARN} <= :now"
    shown = f"SELECT number, assignee, {_CLOCK} AS clock, {_DUE} AS due"
    async with db.read() as conn:
        breached_total = await fetch_one(conn, f"SELECT count(*) {past}", params)
        risk_total = await fetch_one(conn, f"SELECT count(*) {near}", params)
        breached = await fetch_all(
            conn, f"{shown} {past} ORDER BY {_DUE}, number LIMIT :limit", params
        )
        at_risk = await fetch_all(
            conn, f"{shown} {near} ORDER BY {_DUE}, number LIMIT :limit", params
        )
    return (
        [dict(r) for r in breached],
        int(breached_total[0]) if breached_total else 0,
        [dict(r) for r in at_risk],
        int(risk_total[0]) if risk_total else 0,
    )


async def breached_tickets(
    db: Database, now: datetime, limit: int, client: str | None = None
) -> tuple[list[Ticket], int]:
    """Open tickets whose running clock is past its deadline, the first `limit` by number,
    and how many there are."""
    params = {"now": to_db(now), "client": client, "limit": limit}
    breached = (
        f"SELECT number FROM {_running_from(client)} WHERE {_RUNS}{_of(client)} AND {_DUE} <= :now"
    )
    async with db.read() as conn:
        total = (await fetch_one(conn, f"SELECT count(*) FROM ({breached}) AS b", params) or (0,))[
            0
        ]
        rows = await fetch_all(
            conn,
            f"SELECT * FROM tickets WHERE number IN ({breached}) ORDER BY number LIMIT :limit",
            params,
        )
    return [Ticket.from_row(row) for row in rows], int(total)


_FIRST_CONTACTS = """
    FROM tickets WHERE first_contact_at >= :since AND fc_due_at IS NOT NULL
      AND fc_business_s IS NOT NULL
"""
# `+status`: the closing window's covering index answers, not the status one (nearly every
# ticket is closed, so that one would read them all).
_RESOLVED = """
    FROM tickets WHERE closed_at >= :since AND close_kind = 'resuelto' AND res_gen > 0
      AND +status = 'cerrado'
"""


async def _median(db: Database, column: str, where: str, params: dict, count: int) -> float | None:
    if not count:
        return None
    # SQLite has no median: the middle row(s) of the sorted column.
    rows = await db.fetchall(
        f"SELECT {column} {where} ORDER BY {column} LIMIT :limit OFFSET :offset",
        {**params, "limit": 2 - count % 2, "offset": (count - 1) // 2},
    )
    values = [float(row[0]) for row in rows]
    return sum(values) / len(values)


async def rating_stats(
    db: Database, since: datetime, client: str | None = None, by: str = "assignee"
) -> list[tuple[str, int, float]]:
    """Ratings given since `since`, by technician or by client (`by`; '' for none):
    (who, count, average)."""
    column = {"assignee": "assignee", "client": "client"}[by]
    rows = await db.fetchall(
        f"SELECT coalesce({column}, ''), count(*), avg(rating) FROM tickets"
        " INDEXED BY tickets_rated WHERE rated_at >= :since AND rating IS NOT NULL"
        + _of(client)
        + " GROUP BY 1",
        {"since": to_db(since), "client": client},
    )
    return [(row[0], int(row[1]), float(row[2])) for row in rows]


async def first_contact_stats(
    db: Database, since: datetime, client: str | None = None
) -> tuple[int, int, int, float | None]:
    """First contacts made since `since`: count, on time, before target, median business s."""
    params = {"since": to_db(since), "client": client}
    where = _FIRST_CONTACTS + _of(client)
    row = await db.fetchone(
        "SELECT count(*), coalesce(sum(CASE WHEN first_contact_at <= fc_due_at THEN 1 END), 0),"
        " coalesce(sum(CASE WHEN first_contact_at <= fc_target_at THEN 1 END), 0)"
        f" {where}",
        params,
    )
    count = int(row[0])
    median = await _median(db, "fc_business_s", where, params, count)
    return count, int(row[1]), int(row[2]), median


async def resolution_stats(
    db: Database,
    since: datetime,
    budgets: dict[str, tuple[float, float]],
    client: str | None = None,
) -> tuple[int, int, int, float | None]:
    """Tickets resolved since `since`: count, on time, before target, median business s used.
    `budgets`: severity → (target, deadline) in seconds."""
    params: dict = {"since": to_db(since), "client": client}
    where = _RESOLVED + _of(client)
    deadline = target = "CASE severity"
    for index, (severity, (target_s, deadline_s)) in enumerate(sorted(budgets.items())):
        params.update({f"s{index}": severity, f"t{index}": target_s, f"d{index}": deadline_s})
        # Typed: PostgreSQL cannot guess a parameter's type inside CASE (SQLite: REAL).
        target += f" WHEN :s{index} THEN CAST(:t{index} AS DOUBLE PRECISION)"
        deadline += f" WHEN :s{index} THEN CAST(:d{index} AS DOUBLE PRECISION)"
    row = await db.fetchone(
        f"SELECT count(*), coalesce(sum(CASE WHEN res_used_s <= ({deadline} END) THEN 1 END), 0),"
        f" coalesce(sum(CASE WHEN res_used_s <= ({target} END) THEN 1 END), 0) {where}",
        params,
    )
    count = int(row[0])
    median = await _median(
        db, "res_used_s", where, {"since": params["since"], "client": client}, count
    )
    return count, int(row[1]), int(row[2]), median
