"""Shifts (`/hib2b turno entrar|salir|lista`) and the round-robin that assigns each new
supplier ticket to the next technician on shift (`HIB2B_AUTO_ASSIGN=round-robin`; off by
default)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiosqlite

from bot.cases.parts import Parts
from bot.cases.tickets import act_in
from bot.domain import workflow
from bot.domain.change import Actor, Change, Refused
from bot.domain.terms import Role
from store import shifts as store
from store import team as team_store
from store.db import StorageUnavailable
from store.models import Ticket

log = logging.getLogger("hib2b.shifts")
AUTO = Actor("Asignación automática", Role.LIDER, "Asignación automática")
ROUND_ROBIN = "round-robin"
Assign = Callable[[aiosqlite.Connection, int, datetime], Awaitable[None]]


async def enter(parts: Parts, actor: Actor) -> bool:
    if actor.role is None:
        raise Refused("Solo el equipo de soporte tiene turnos.")
    async with parts.db.transaction() as conn:
        return await store.enter(conn, actor.user_id, parts.now())


async def leave(parts: Parts, actor: Actor) -> bool:
    async with parts.db.transaction() as conn:
        return await store.leave(conn, actor.user_id)


async def on_shift(parts: Parts) -> list[tuple[str, str]]:
    return await store.on_shift(parts.db)


async def escalate(parts: Parts, overdue: list[int]) -> None:
    """`HIB2B_ESCALATE_REASSIGN=on`: tickets whose clock just passed its deadline move to the
    technician on shift with the fewest open tickets (not the one who has it)."""
    people = [user for user, _ in await store.on_shift(parts.db)]
    if not people:
        return
    load = await store.open_load(parts.db)
    for number in dict.fromkeys(overdue):
        now = parts.now()

        def decide(ticket: Ticket, now: datetime = now) -> Change:
            # Only a ticket nobody on shift has moves: someone on shift who has it (maybe
            # just claimed) keeps it.
            others = [user for user in people if user != ticket.assignee]
            if ticket.assignee in people or not others:
                return Change("asignado", "", applied=False)
            target = min(others, key=lambda user: (load.get(user, 0), user))
            load[target] = load.get(target, 0) + 1
            return workflow.claim(ticket, AUTO, target, now)

        try:
            async with parts.db.transaction() as conn:
                await act_in(conn, number, AUTO, decide, now, parts.mail_ctx, parts.policies)
        except Refused:
            continue  # closed meanwhile: nothing to move
        except StorageUnavailable:
            # Not moved; the reminder and the leads' DMs are queued all the same.
            log.warning("could not move overdue ticket %s: storage unavailable", number)
            continue
    parts.wake_outbox()


def assigner(parts: Parts) -> Assign | None:
    """What assigns a new ticket inside its creating transaction; None when it is off."""
    if parts.settings.auto_assign != ROUND_ROBIN:
        return None

    async def assign(conn: aiosqlite.Connection, number: int, now: datetime) -> None:
        target = await store.next_in_turn(conn)
        if target is None:
            return  # nobody on shift: it waits in «Sin asignar», as without round-robin
        name = await team_store.name_of(conn, target)
        await act_in(
            conn,
            number,
            AUTO,
            lambda ticket: workflow.claim(ticket, AUTO, target, now, name),
            now,
            parts.mail_ctx,
            parts.policies,
        )

    return assign
