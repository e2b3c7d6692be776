"""`/hib2b buscar` on the real service: number, supplier, address, description and the texts
of the timeline, accents and case ignored, the best first; nothing a user types is FTS syntax;
the team only. Pure: the query built from what was typed."""

from __future__ import annotations

import json

from bot.domain.search import phrases
from store.search import fts5_match, tsquery
from tests.desk import GOOD, Desk, slack_env, slash_command
from tests.fakes.slack import FakeSlack

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}


async def found(desk: Desk, text: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(f"buscar {text}", user))
    return json.loads(response.text)["text"]


def numbers(answer: str) -> list[str]:
    return [line.split("*")[1] for line in answer.splitlines() if line.startswith("• *HD-")]


async def test_search_finds_by_every_field_the_best_first(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    await desk.submit({**GOOD, "descripcion": "Olvidé mi contraseña del portal Tlaxcala."})
    await desk.submit(
        {
            **GOOD,
            "usuario": "aceros_norte",
            "correo": "cxp@aceros-norte.mx",
            "descripcion": "La factura A-123 marca error de sello.",
        }
    )
    await desk.submit({**GOOD, "descripcion": "No abre el portal desde la oficina."})
    await desk.slack(slash_command("responder 3 Reinicie el módem del proveedor Telmex."))

    assert numbers(await found(desk, "CONTRASEÑA")) == ["HD-1"]
    assert numbers(await found(desk, "contrasena tlaxcala")) == ["HD-1"]  # accents, case
    assert numbers(await found(desk, "contra")) == ["HD-1"]  # while typing
    assert numbers(await found(desk, "factura a-123")) == ["HD-2"]
    assert numbers(await found(desk, "cxp@aceros-norte.mx")) == ["HD-2"]
    assert numbers(await found(desk, "aceros_norte")) == ["HD-2"]
    assert numbers(await found(desk, "modem telmex")) == ["HD-3"]  # a reply's words
    assert numbers(await found(desk, "HD-3"))[0] == "HD-3"
    portal = numbers(await found(desk, "portal"))
    assert sorted(portal) == ["HD-1", "HD-3"]

    assert "Ningún ticket coincide" in await found(desk, 'NEAR( "x" OR *')
    assert "Escriba qué buscar" in await found(desk, "")
    assert "Solo el equipo" in await found(desk, "factura", user="U0STRANGER")


def test_what_is_typed_is_never_fts_syntax() -> None:
    assert fts5_match(phrases('ana.perez@x.mx "OR" NEAR(a')) == '"ana perez x mx" "OR" "NEAR a"*'
    assert phrases("  ") == [] and phrases('"*()') == []
    assert fts5_match(phrases("Factura A-123")) == '"Factura" "A 123"*'
    assert fts5_match(phrases("cafe\u0301s")) == '"cafés"*'  # typed decomposed
    assert tsquery(phrases("Factura A-123")) == "'Factura' & 'A' <-> '123':*"
