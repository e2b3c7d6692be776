"""`fusionar HD-A HD-B` in one transaction: A closes into B (its supplier told once), B's thread
shows what came from A, and A's emails are routed to B from then on (a reply to any message
of A's thread, or naming A in its subject, reaches B)."""

from __future__ import annotations

from bot.cases.parts import Parts
from bot.cases.tickets import Outcome, act_in
from bot.domain import merge as rules
from bot.domain.change import Actor, Refused
from bot.domain.terms import ticket_code
from store import mailbox
from store import tickets as store


async def merge(
    parts: Parts, actor: Actor, source: int, target: int, key: str | None = None
) -> Outcome:
    now, db = parts.now(), parts.db
    async with db.transaction() as conn:
        if key and await store.request_applied(conn, key):
            return Outcome("Esa acción ya se aplicó.", applied=False)
        a = await store.locked_ticket(conn, source)
        b = await store.locked_ticket(conn, target)
        for number, found in ((source, a), (target, b)):
            if found is None:
                raise Refused(f"No existe el ticket {ticket_code(number)}.")
        assert a is not None and b is not None
        files = tuple(f.display_name for f in await store.attachments_in(conn, source))
        outcome = await act_in(
            conn,
            source,
            actor,
            lambda ticket: rules.merge(ticket, actor, b, now),
            now,
            parts.mail_ctx,
            parts.policies,
        )
        await act_in(
            conn,
            target,
            actor,
            lambda ticket: rules.merged_in(ticket, actor, a, files),
            now,
            parts.mail_ctx,
            parts.policies,
        )
        await mailbox.route_sent(conn, source, target)
        if key:
            await store.remember_request(conn, key, now)
    parts.wake_outbox()
    return outcome
