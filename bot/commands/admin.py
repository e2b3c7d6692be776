"""Requests about the team and the clients (leads; the rules are in `bot.cases.team` and
`bot.cases.clients`)."""

from __future__ import annotations

from bot.cases import clients, lookups, team
from bot.cases.parts import Parts
from bot.commands.reply import Asked, Reply
from bot.domain import requests as r
from bot.domain.change import Refused
from bot.render import answers


async def team_list(parts: Parts, asked: Asked, request: r.TeamList) -> Reply:
    return Reply(answers.team_list(await team.roles(parts.db, parts.settings)))


async def team_add(parts: Parts, asked: Asked, request: r.TeamAdd) -> Reply:
    return Reply(
        await team.add(
            parts.db,
            parts.settings,
            asked.actor,
            request.user,
            request.role,
            request.name,
            parts.now(),
        )
    )


async def team_remove(parts: Parts, asked: Asked, request: r.TeamRemove) -> Reply:
    return Reply(await team.remove(parts.db, parts.settings, asked.actor, request.user))


async def client_list(parts: Parts, asked: Asked, request: r.ClientList) -> Reply:
    return Reply(answers.client_list(await lookups.clients(parts.db)))


async def client_show(parts: Parts, asked: Asked, request: r.ClientShow) -> Reply:
    client = await lookups.client(parts.db, request.key)
    if client is None:
        raise Refused(f"No existe el cliente `{request.key}`.")
    return Reply(answers.client_card(client))


async def client_add(parts: Parts, asked: Asked, request: r.ClientAdd) -> Reply:
    return Reply(
        await clients.add(
            parts.db, asked.actor, request.key, request.name, list(request.hosts), parts.now()
        )
    )


async def client_status(parts: Parts, asked: Asked, request: r.ClientStatus) -> Reply:
    return Reply(
        await clients.set_status(parts.db, asked.actor, request.key, request.status, parts.now())
    )


async def client_plan(parts: Parts, asked: Asked, request: r.ClientPlan) -> Reply:
    return Reply(
        await clients.set_plan(
            parts.db, parts.policies, asked.actor, request.key, list(request.settings), parts.now()
        )
    )


async def client_rfcs(parts: Parts, asked: Asked, request: r.ClientRfcs) -> Reply:
    return Reply(
        await clients.set_rfcs(parts.db, asked.actor, request.key, list(request.rfcs), parts.now())
    )


HANDLERS = {
    r.TeamList: team_list,
    r.TeamAdd: team_add,
    r.TeamRemove: team_remove,
    r.ClientList: client_list,
    r.ClientShow: client_show,
    r.ClientAdd: client_add,
    r.ClientStatus: client_status,
    r.ClientPlan: client_plan,
    r.ClientRfcs: client_rfcs,
}
