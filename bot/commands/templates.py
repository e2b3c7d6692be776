"""`/hib2b plantilla lista|ver|agregar|quitar`: the canned replies technicians answer with."""

from __future__ import annotations

from bot.cases import replies
from bot.cases.parts import Parts
from bot.commands.reply import Asked, Reply
from bot.domain import requests as r
from bot.domain.change import Refused
from bot.render import answers


def _team(asked: Asked) -> None:
    if asked.actor.role is None:
        raise Refused("Solo el equipo de soporte usa las plantillas.")


async def show_all(parts: Parts, asked: Asked, request: r.TemplateList) -> Reply:
    _team(asked)
    return Reply(answers.template_list(await replies.listed(parts)))


async def show(parts: Parts, asked: Asked, request: r.TemplateShow) -> Reply:
    _team(asked)
    text = await replies.text_of(parts, request.name)
    return Reply(answers.template(request.name, text, asked.for_slack))


async def add(parts: Parts, asked: Asked, request: r.TemplateAdd) -> Reply:
    new = await replies.put(parts, asked.actor, request.name, request.text)
    verb = "agregada" if new else "actualizada"
    return Reply(f"Plantilla `{request.name}` {verb}: `/hib2b responder HD-N /{request.name}`.")


async def remove(parts: Parts, asked: Asked, request: r.TemplateRemove) -> Reply:
    await replies.remove(parts, asked.actor, request.name)
    return Reply(f"Plantilla `{request.name}` quitada.")


HANDLERS = {
    r.TemplateList: show_all,
    r.TemplateShow: show,
    r.TemplateAdd: add,
    r.TemplateRemove: remove,
}
