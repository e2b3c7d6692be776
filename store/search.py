"""The full-text index of tickets (migration 016): searched for `/hib2b buscar`, and purged of
what a suppression removed."""

from __future__ import annotations

import aiosqlite

from store.db import Database
from store.models import Ticket

# Ranked among the newest matches only: ranking every match of a common word reads each one's
# sizes (40–90 ms over 20,000 matches at 100,000 tickets); the newest few hundred are found
# in index order and stop early. A rarer query has fewer matches and is ranked whole.
RANKED = 200


# What PostgreSQL's hib2b_fold() (store/schema_pg/020) maps, for the words of a query.
_FOLD = str.maketrans(
    "ÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇáàâäãéèêëíìîïóòôöõúùûüñç",
    "AAAAAEEEEIIIIOOOOOUUUUNCaaaaaeeeeiiiiooooouuuunc",
)


def fts5_match(phrases: list[list[str]]) -> str:
    """SQLite's FTS5 expression: each phrase quoted, the last one a prefix."""
    quoted = [f'"{" ".join(pieces)}"' for pieces in phrases]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery(phrases: list[list[str]]) -> str:
    """PostgreSQL's tsquery: the pieces of a phrase in order (<->), phrases all required (&),
    the last piece a prefix. Pieces are letters and digits only, quoted besides."""
    spelled = [" <-> ".join(f"'{piece}'" for piece in pieces) for pieces in phrases]
    spelled[-1] += ":*"
    return " & ".join(spelled)


def _folded(phrases: list[list[str]]) -> list[list[str]]:
    return [[piece.translate(_FOLD).lower() for piece in pieces] for pieces in phrases]


async def search(db: Database, phrases: list[list[str]], limit: int) -> list[Ticket]:
    """The `limit` tickets that best match `phrases` among their `RANKED` newest matches (a
    word in the number, the supplier or the description weighs more than in a long reply)."""
    if db.engine == "postgresql":
        rows = await db.fetchall(
            "SELECT t.* FROM (SELECT number, doc FROM ticket_search"
            " WHERE doc @@ to_tsquery('simple', :query) ORDER BY number DESC LIMIT :ranked) AS s"
            " JOIN tickets AS t ON t.number = s.number"
            " ORDER BY ts_rank(s.doc, to_tsquery('simple', :query)) DESC, t.number DESC"
            " LIMIT :limit",
            {"query": tsquery(_folded(phrases)), "limit": limit, "ranked": RANKED},
        )
        return [Ticket.from_row(row) for row in rows]
    match = fts5_match(phrases)
    rows = await db.fetchall(
        "SELECT t.* FROM ticket_search AS s JOIN tickets AS t ON t.number = s.rowid"
        " WHERE ticket_search MATCH :match AND s.rowid >= coalesce((SELECT min(rowid) FROM"
        " (SELECT rowid FROM ticket_search WHERE ticket_search MATCH :match"
        " ORDER BY rowid DESC LIMIT :ranked)), 0)"
        " ORDER BY bm25(ticket_search, 10.0, 5.0, 5.0, 2.0, 1.0), t.number DESC LIMIT :limit",
        {"match": match, "limit": limit, "ranked": RANKED},
    )
    return [Ticket.from_row(row) for row in rows]


async def by_address(db: Database, correo: str, limit: int) -> list[Ticket]:
    """The newest tickets of this address, whatever its case (its own index)."""
    rows = await db.fetchall(
        "SELECT * FROM tickets WHERE correo = :correo COLLATE NOCASE"
        " ORDER BY number DESC LIMIT :limit",
        {"correo": correo, "limit": limit},
    )
    return [Ticket.from_row(row) for row in rows]


async def by_invoice(db: Database, uuid: str, limit: int) -> list[Ticket]:
    """The tickets an invoice (its CFDI UUID) came with, newest first (its own index)."""
    rows = await db.fetchall(
        "SELECT * FROM tickets WHERE number IN"
        " (SELECT ticket FROM attachments WHERE cfdi_uuid = :uuid)"
        " ORDER BY number DESC LIMIT :limit",
        {"uuid": uuid.upper(), "limit": limit},
    )
    return [Ticket.from_row(row) for row in rows]


async def forget_texts(conn: aiosqlite.Connection, numbers: list[int]) -> None:
    """These tickets' timeline texts rebuilt from the audit as it is now (after a suppression
    cleared some); the other columns follow the tickets' own triggers."""
    if not numbers:
        return
    marks = ", ".join("?" for _ in numbers)
    if getattr(conn, "engine", "sqlite") == "postgresql":
        await conn.execute(
            "UPDATE ticket_search SET respuestas = coalesce((SELECT string_agg("
            "a.detail::jsonb ->> 'texto', chr(10) ORDER BY a.id) FROM audit AS a"
            " WHERE a.ticket = ticket_search.number AND (a.detail::jsonb ->> 'texto') IS NOT NULL),"
            f" '') WHERE number IN ({marks})",
            numbers,
        )
        return
    await conn.execute(
        "UPDATE ticket_search SET respuestas = coalesce((SELECT group_concat("
        "json_extract(a.detail, '$.texto'), char(10)) FROM audit AS a WHERE a.ticket ="
        " ticket_search.rowid AND json_extract(a.detail, '$.texto') IS NOT NULL), '')"
        f" WHERE rowid IN ({marks})",
        numbers,
    )


async def purge(db: Database) -> None:
    """Merge the index into one segment: the terms of replaced rows are gone from the file
    (with `secure_delete`, their old pages are zeroed), not only marked deleted. PostgreSQL
    keeps no such segments: a replaced row is reclaimed by its autovacuum."""
    if db.engine == "postgresql":
        return
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO ticket_search (ticket_search) VALUES ('optimize')")
