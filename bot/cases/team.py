"""Who is on the support team, and with which role. Leads manage the team.

Those named in HIB2B_LEADS / HIB2B_TECHNICIANS are members at every start whatever the table
says; leads add and remove others from Slack (`/hib2b equipo`) or the CLI."""

from __future__ import annotations

import contextlib
from datetime import datetime

from bot.config import Settings
from bot.domain.change import Actor, Refused, mention
from bot.domain.terms import Role
from store import team as store
from store.db import Database, StorageUnavailable

OPERATOR = Actor("operador", Role.LIDER, "Operador")


def _role(settings: Settings, user_id: str, stored: str | None) -> Role | None:
    """The role the settings give, else the table's: a configured lead is a lead whatever the
    table says."""
    if user_id in settings.leads or stored == Role.LIDER:
        return Role.LIDER
    if user_id in settings.technicians or stored == Role.TECNICO:
        return Role.TECNICO
    return None


async def actor_for(db: Database, settings: Settings, user_id: str, name: str = "") -> Actor:
    """The person behind a Slack request (or `operador` on the CLI), with their role."""
    if user_id == OPERATOR.user_id:
        return OPERATOR
    known, stored = await store.name_and_role(db, user_id)
    if name and name != known:
        # The display name is a courtesy: a locked database must not refuse the request for
        # it (the request's own change then says whether it could be saved).
        with contextlib.suppress(StorageUnavailable):
            await store.remember_name(db, user_id, name, known)
    return Actor(user_id, _role(settings, user_id, stored), name)


async def add(
    db: Database,
    settings: Settings,
    actor: Actor,
    user_id: str,
    role: str,
    name: str,
    now: datetime,
) -> str:
    if not actor.is_lead:
        raise Refused("Solo un líder puede administrar el equipo.")
    try:
        new_role = Role(role)
    except ValueError:
        raise Refused("El rol debe ser `tecnico` o `lider`.") from None
    async with db.transaction() as conn:
        await store.add_member(conn, user_id, new_role, name, actor.user_id, now)
    if name:
        await store.remember_name(db, user_id, name)
    return f"{mention(user_id)} es {new_role.label} del equipo de soporte."


async def remove(db: Database, settings: Settings, actor: Actor, user_id: str) -> str:
    if not actor.is_lead:
        raise Refused("Solo un líder puede administrar el equipo.")
    if user_id in settings.leads or user_id in settings.technicians:
        raise Refused(
            f"{mention(user_id)} está en HIB2B_LEADS o HIB2B_TECHNICIANS: "
            "quítelo de ese ajuste y reinicie el servicio."
        )
    async with db.transaction() as conn:
        removed = await store.remove_member(conn, user_id)
    if not removed:
        return f"{mention(user_id)} no estaba en el equipo."
    return f"{mention(user_id)} ya no es parte del equipo de soporte."


async def roles(db: Database, settings: Settings) -> dict[str, Role]:
    """Everyone on the team and their role: the table, with the settings' names on top."""
    found = {user_id: Role(role) for user_id, role in (await store.members(db)).items()}
    for user_id in settings.technicians:
        found.setdefault(user_id, Role.TECNICO)
    for user_id in settings.leads:
        found[user_id] = Role.LIDER
    return found
