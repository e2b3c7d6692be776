"""Canned replies (`plantillas`): kept, listed, and filled for a ticket when a technician uses
one."""

from __future__ import annotations

from bot.cases.parts import Parts
from bot.domain import templates
from bot.domain.change import Actor, Refused
from bot.domain.terms import ticket_code
from bot.render.email import spanish_datetime
from store import templates as store
from store.models import Ticket


async def listed(parts: Parts) -> list[tuple[str, str]]:
    return await store.all_templates(parts.db)


async def text_of(parts: Parts, name: str) -> str:
    found = await store.get(parts.db, templates.check_name(name))
    if found is None:
        names = ", ".join(f"`{n}`" for n, _ in await listed(parts)) or "ninguna"
        raise Refused(f"No existe la plantilla `{name}`. Hay: {names}.")
    return found


async def put(parts: Parts, actor: Actor, name: str, text: str) -> bool:
    """Add or replace (leads); True when new."""
    if not actor.is_lead:
        raise Refused("Solo un líder puede agregar o cambiar plantillas.")
    name, text = templates.check_name(name), templates.check_text(text)
    async with parts.db.transaction() as conn:
        return await store.put(conn, name, text, actor.user_id, parts.now())


async def remove(parts: Parts, actor: Actor, name: str) -> None:
    if not actor.is_lead:
        raise Refused("Solo un líder puede quitar plantillas.")
    name = templates.check_name(name)
    async with parts.db.transaction() as conn:
        if not await store.remove(conn, name):
            raise Refused(f"No existe la plantilla `{name}`.")


async def filled(parts: Parts, name: str, ticket: Ticket, actor: Actor) -> str:
    """The template as the supplier of `ticket` reads it, from `actor`."""
    text = await text_of(parts, name)
    contact = ticket.first_contact_at or parts.now()
    return templates.fill(
        text,
        {
            "usuario": ticket.usuario,
            "ticket": ticket_code(ticket.number),
            "tecnico": actor.name or "El equipo de soporte",
            "portal": ticket.liga_portal or "el portal de proveedores",
            "primer_contacto": spanish_datetime(contact, parts.settings.timezone),
        },
    )
