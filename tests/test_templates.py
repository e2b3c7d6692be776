"""Canned replies on the real service: the six seeded answers, `responder HD-N /nombre` (a
modal filled in to read first, or sent at once with text below it), chosen in the Responder
modal, and leads keeping them; the email is what the supplier reads, placeholders filled."""

from __future__ import annotations

import json

from bot.domain.templates import PLACEHOLDERS, fill
from tests.conftest import smtp_env
from tests.desk import Desk, slack_env, slash_command, view_submission
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
SEEDED = {
    "alta-usuario",
    "contrasena",
    "cargar-factura",
    "error-factura",
    "conectividad",
    "no-lo-se",
}


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    return json.loads((await desk.slack(slash_command(line, user))).text)["text"]


def body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


async def test_seeded_templates_reply_filled_for_the_ticket(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    await desk.submit()
    await smtp.wait_for(1)
    listed = await said(desk, "plantilla lista")
    assert all(f"`{name}`" in listed for name in SEEDED)

    # Without text: the Responder modal opens filled in, to be read before it goes.
    await desk.slack(slash_command("responder 1 /contrasena"))
    [opened] = await fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
    view = (
        json.loads(opened.args["view"])
        if isinstance(opened.args["view"], str)
        else opened.args["view"]
    )
    text_block = next(b for b in view["blocks"] if b.get("block_id") == "texto")
    filled = text_block["element"]["initial_value"]
    assert filled.startswith("Hola, xime1805:") and "HD-1" in filled and "{" not in filled
    assert "https://acme.portalhib2b.com" in filled  # {portal}: the supplier's own link
    choices = next(b for b in view["blocks"] if b.get("block_id") == "plantilla")
    assert {o["value"] for o in choices["element"]["options"]} == SEEDED

    # With text: sent at once, the template above it.
    answer = await said(desk, "responder 1 /cargar-factura Quedo pendiente de su confirmación.")
    assert answer == "Respuesta enviada al proveedor de HD-1."
    reply = body((await smtp.wait_for(2))[-1])
    assert "Para cargar su factura en https://acme.portalhib2b.com:" in reply
    assert reply.index("Presione «Enviar»") < reply.index("Quedo pendiente de su confirmación.")

    # Chosen in the modal, with a line typed below.
    await desk.slack(
        view_submission(
            "hib2b_responder", 1, {"plantilla": ("static_select", "no-lo-se"), "texto": "Gracias."}
        )
    )
    chosen = body((await smtp.wait_for(3))[-1])
    assert "¿podría contarnos qué intentaba hacer" in chosen and chosen.count("Gracias.") >= 1

    missing = await said(desk, "responder 1 /nada")
    assert "No existe la plantilla `nada`" in missing and "`contrasena`" in missing


async def test_leads_keep_the_templates(start_desk, fake_slack: FakeSlack) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    text = "Hola, {usuario}: su pago de {ticket} se reflejará en 48 horas."
    assert "Solo un líder" in await said(desk, f"plantilla agregar pagos {text}")
    assert "agregada" in await said(desk, f"plantilla agregar pagos {text}", "U0LEAD")
    assert "actualizada" in await said(desk, f"plantilla agregar pagos {text} Gracias.", "U0LEAD")
    shown = await said(desk, "plantilla ver pagos")
    assert "> Hola, {usuario}: su pago de {ticket}" in shown and "Gracias." in shown
    bad = await said(desk, "plantilla agregar otra Hola {nombre}", "U0LEAD")
    assert "No conozco {nombre}" in bad and "{primer_contacto}" in bad
    assert "quitada" in await said(desk, "plantilla quitar pagos", "U0LEAD")
    assert "No existe la plantilla `pagos`" in await said(desk, "plantilla ver pagos")
    assert "Solo el equipo" in await said(desk, "plantilla lista", "U0STRANGER")


def test_fill_leaves_other_braces_alone() -> None:
    values = dict.fromkeys(PLACEHOLDERS, "X")
    assert fill("{usuario} {ticket} {json} {}", values) == "X X {json} {}"
