"""`/hib2b turno entrar|salir|lista`: who takes new tickets when the round-robin is on."""

from __future__ import annotations

from bot.cases import shifts
from bot.cases.parts import Parts
from bot.commands.reply import Asked, Reply
from bot.domain import requests as r
from bot.domain.change import Refused, mention


async def shift(parts: Parts, asked: Asked, request: r.Shift) -> Reply:
    actor = asked.actor
    if actor.role is None:
        raise Refused("Solo el equipo de soporte tiene turnos.")
    off = (
        ""
        if parts.settings.auto_assign == shifts.ROUND_ROBIN
        else (
            " (La asignación automática está desactivada: HIB2B_AUTO_ASSIGN=round-robin la activa.)"
        )
    )
    if request.action == "entrar":
        new = await shifts.enter(parts, actor)
        said = "Entró a su turno" if new else "Ya estaba en turno"
        if off:
            return Reply(f"{said}.{off}")
        return Reply(f"{said}: también se le asignarán tickets nuevos.")
    if request.action == "salir":
        was = await shifts.leave(parts, actor)
        return Reply("Salió de su turno." if was else "No estaba en turno.")
    people = await shifts.on_shift(parts)
    names = ", ".join(mention(user) for user, _ in people) or "nadie"
    return Reply(f"En turno: {names}.{off}")


HANDLERS = {r.Shift: shift}
