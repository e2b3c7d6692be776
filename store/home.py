"""What a team member's App Home lists: their open tickets and the unassigned ones, most urgent
first (the running clock's deadline), each list bounded with its total."""

from __future__ import annotations

from store.db import Database, fetch_all, fetch_one
from store.sla import _CLOCK, _DUE, _RUNS, OPEN

# A ticket as a list shows it, with its running clock (none while paused or waiting).
_SHOWN = (
    "number, tipo, usuario, severity, status, assignee, slack_channel, slack_ts,"
    f" CASE WHEN {_RUNS} THEN {_DUE} END AS due, CASE WHEN {_RUNS} THEN {_CLOCK} END AS clock"
)


async def lists(db: Database, user: str, limit: int) -> tuple[list[dict], int, list[dict], int]:
    """`user`'s open tickets (all of them, ordered: running clocks by deadline, then the
    paused) and the unassigned ones with a running clock by deadline: the first `limit` of
    each and how many there are."""
    mine_where = f"FROM tickets WHERE {OPEN} AND assignee = :user"
    # The clocks' own index, in deadline order: the first few are read, not every open one.
    free_where = f"FROM tickets INDEXED BY tickets_running WHERE {_RUNS} AND assignee IS NULL"
    params = {"user": user, "limit": limit}
    async with db.read() as conn:
        mine = await fetch_all(
            conn,
            f"SELECT * FROM (SELECT {_SHOWN} {mine_where}) AS mine"
            " ORDER BY due IS NULL, due, number LIMIT :limit",
            params,
        )
        mine_total = await fetch_one(conn, f"SELECT count(*) {mine_where}", params)
        free = await fetch_all(
            conn, f"SELECT {_SHOWN} {free_where} ORDER BY {_DUE}, number LIMIT :limit", params
        )
        free_total = await fetch_one(
            conn,
            "SELECT coalesce(sum(n), 0) FROM open_tally WHERE assignee = ''",
        )
    return (
        [dict(row) for row in mine],
        int(mine_total[0]) if mine_total else 0,
        [dict(row) for row in free],
        int(free_total[0]) if free_total else 0,
    )


async def listed(db: Database, numbers: list[int]) -> list[dict]:
    """These tickets as a list shows them (the clocks' alerts name only their numbers)."""
    if not numbers:
        return []
    marks = ", ".join("?" for _ in numbers)
    rows = await db.fetchall(f"SELECT {_SHOWN} FROM tickets WHERE number IN ({marks})", numbers)
    return [dict(row) for row in rows]
