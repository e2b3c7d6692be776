"""The reads `/hib2b` answers from: a ticket and its files, pages of open or overdue tickets,
one ticket's SLA history, the clients. Reads only; each bounded (a page, not a table)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.cases.plans import Policies
from bot.domain import search as words
from bot.domain.clocks import SlaPolicy
from bot.domain.form import is_email
from store import clients as client_store
from store import search as search_store
from store import sla as sla_store
from store import tickets as store
from store.db import Database
from store.models import Client, StoredFile, Ticket


async def ticket(db: Database, number: int) -> Ticket | None:
    return await store.get_ticket(db, number)


async def ticket_and_files(db: Database, number: int) -> tuple[Ticket, list[StoredFile]] | None:
    return await store.ticket_and_files(db, number)


async def open_page(
    db: Database,
    limit: int,
    assignee: str | None = None,
    unassigned: bool = False,
    client: str | None = None,
) -> tuple[list[Ticket], int]:
    """The first `limit` open tickets by number, and how many there are."""
    return await store.open_tickets(db, limit, assignee, unassigned, client)


async def breached_page(
    db: Database, now: datetime, limit: int, client: str | None = None
) -> tuple[list[Ticket], int]:
    """The first `limit` open tickets past a deadline, and how many there are."""
    return await sla_store.breached_tickets(db, now, limit, client)


UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")


async def sla_history(
    db: Database, policies: Policies, ticket: Ticket
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], SlaPolicy]:
    """What `sla HD-N` explains: the audit trail, the reminders recorded, the plan."""
    async with db.read() as conn:
        audit = await store.audit_in(conn, ticket.number)
        reminders = await sla_store.reminders_of(conn, ticket.number)
        policy = await policies.for_ticket(conn, ticket)
    return audit, reminders, policy


async def search(db: Database, text: str, limit: int) -> list[Ticket]:
    """The tickets that best match what was typed: the one it names first (`HD-12`)."""
    if UUID.fullmatch(text.strip()):
        # An invoice's UUID names the tickets it came with (the attachments' own index).
        found = await search_store.by_invoice(db, text.strip(), limit)
        if found:
            return found
    if is_email(text.strip()):
        # An address is looked up as one (its index): as a phrase of pieces, its common
        # «example com» would be read for every ticket.
        found = await search_store.by_address(db, text.strip(), limit)
        if found:
            return found
    wanted = words.phrases(text)
    found = await search_store.search(db, wanted, limit) if wanted else []
    named = words.ticket_named(text)
    if named is not None:
        ticket = await store.get_ticket(db, named)
        if ticket is not None:
            found = [ticket, *[t for t in found if t.number != named]][:limit]
    return found


async def clients(db: Database) -> list[Client]:
    return await client_store.all_clients(db)


async def client(db: Database, key: str) -> Client | None:
    return await client_store.get_client(db, key)
