"""Technicians work tickets from Slack (and the CLI): signed requests into the real service,
the fake Web API recording views.open, chat.update, ephemeral answers and thread posts, and a
real SMTP server receiving what the supplier would read."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from store import tickets as store
from tests.conftest import smtp_env
from tests.desk import Desk, block_action, run_cli_async, slack_env, slash_command, view_submission
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1,U0TECH2", "HIB2B_LEADS": "U0LEAD"}


@pytest.fixture
async def desk(start_desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> Desk:
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    assert (await desk.submit()).status == 303
    await fake_slack.wait_for(lambda: fake_slack.cards())
    await smtp.wait_for(1)
    return desk


def body(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def opened_view(call) -> dict:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


async def said(fake: FakeSlack, count: int) -> str:
    await fake.wait_for(lambda: len(fake.calls_to("chat.postEphemeral")) >= count)
    return fake.calls_to("chat.postEphemeral")[count - 1].args["text"]


async def command(desk: Desk, text: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(text, user))
    assert response.status == 200
    return json.loads(response.text)["text"] if response.text else ""


def card_text(fake: FakeSlack) -> str:
    """The card as it stands after its latest edit."""
    updates = fake.calls_to("chat.update")
    blocks = updates[-1].args["blocks"] if updates else fake.cards()[0]["blocks"]
    return json.dumps(
        blocks if not isinstance(blocks, str) else json.loads(blocks), ensure_ascii=False
    )


async def card_shows(fake: FakeSlack, *facts: str) -> None:
    await fake.wait_for(lambda: all(fact in card_text(fake) for fact in facts))


async def thread_has(fake: FakeSlack, fact: str) -> None:
    card = fake.cards()[0]
    await fake.wait_for(
        lambda: any(
            fact in (m["text"] or "") + json.dumps(m["blocks"] or [])
            for m in fake.replies(card["ts"])
        )
    )


async def test_a_full_life(desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> None:
    db = desk.services.db
    # Tomar: the card shows the assignee, the thread says so, the supplier is told.
    await desk.slack(block_action("ticket_tomar", "1"))
    assert await said(fake_slack, 1) == "HD-1 es suyo."
    await card_shows(fake_slack, "En atención", "<@U0TECH1>")
    await thread_has(fake_slack, "tomó el ticket")
    assigned = (await smtp.wait_for(2))[1]
    assert assigned["Subject"] == "[HD-1] Técnico asignado a su ticket"
    assert "ya fue asignado a u0tech1" in body(assigned)
    first = smtp.messages[0]["Message-ID"]
    assert assigned["In-Reply-To"] == first and assigned["References"] == first

    # Responder: the modal, then the email in the ticket's thread; first contact is recorded.
    await desk.slack(block_action("ticket_responder", "1"))
    [opened] = await fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
    assert opened_view(opened)["callback_id"] == "hib2b_responder"
    text = "Hola, ya restablecimos su contraseña.\nIntente entrar de nuevo <b>hoy</b> & avise."
    await desk.slack(view_submission("hib2b_responder", 1, {"texto": text}))
    reply = (await smtp.wait_for(3))[2]
    assert reply["In-Reply-To"] == first and "Auto-Submitted" not in reply
    assert text in body(reply).replace("\r\n", "\n")
    html = reply.get_body(preferencelist=("html",)).get_content()
    assert "&lt;b&gt;hoy&lt;/b&gt; &amp; avise" in html
    await thread_has(fake_slack, "respondió al proveedor")
    ticket = await store.get_ticket(db, 1)
    assert ticket is not None and ticket.first_contact_at is not None

    # Esperar and Reanudar from the overflow menu.
    await desk.slack(block_action("ticket_mas", "", selected="esperar:1", block_id="ticket:1"))
    await card_shows(fake_slack, "Esperando proveedor", "Reanudar")
    await desk.slack(block_action("ticket_mas", "", selected="reanudar:1", block_id="ticket:1"))
    await card_shows(fake_slack, "En atención", "Esperar")

    # A call, from the command.
    assert await command(desk, "llamada HD-1 Confirmó que ya puede entrar") == (
        "Llamada registrada en HD-1."
    )

    # Cerrar: summary and root cause required; the supplier gets the closing summary.
    await desk.slack(
        view_submission(
            "hib2b_cerrar",
            1,
            {
                "tipo": ("radio_buttons", "resuelto"),
                "texto": "Se restableció la contraseña.",
                "causa": ("static_select", "acceso"),
                "causa_texto": "",
                "original": "",
            },
        )
    )
    closing = (await smtp.wait_for(4))[3]
    assert closing["Subject"] == "[HD-1] Resumen de cierre de su ticket"
    closing_text = body(closing)
    for line in (
        "Se restableció la contraseña.",
        "Causa: Acceso o contraseña",
        "Recibimos su solicitud.",
        "Un especialista de soporte fue asignado",
        "Primer contacto del especialista",
        "Le enviamos una respuesta",
        "Quedamos en espera",
        "Retomamos la atención",
        "llamada telefónica",
        "resuelto y cerrado",
    ):
        assert line in closing_text
    await card_shows(fake_slack, "CERRADO", "ticket_reabrir")
    assert "ticket_tomar" not in card_text(fake_slack)

    # Reabrir, with a reason the supplier reads; then close again from the command.
    await desk.slack(view_submission("hib2b_reabrir", 1, {"texto": "El proveedor volvió a fallar"}))
    reopened = (await smtp.wait_for(5))[4]
    assert "Motivo: El proveedor volvió a fallar" in body(reopened)
    await card_shows(fake_slack, "En atención", "ticket_tomar")
    assert await command(desk, "cerrar 1 acceso Se limpió la caché del navegador.") == (
        "HD-1 cerrado. Se envió el resumen de cierre al proveedor."
    )
    last = (await smtp.wait_for(6))[5]
    assert "Se limpió la caché del navegador." in body(last)
    actions = [e["action"] for e in await store.audit_of(db, 1)]
    assert actions == [
        "creado",
        "asignado",
        "respuesta",
        "esperando",
        "reanudado",
        "llamada",
        "cerrado",
        "reabierto",
        "cerrado",
    ]


async def test_two_claims_at_once_one_wins(desk: Desk, fake_slack: FakeSlack) -> None:
    await asyncio.gather(
        desk.slack(block_action("ticket_tomar", "1", user="U0TECH1")),
        desk.slack(block_action("ticket_tomar", "1", user="U0TECH2")),
    )
    await fake_slack.wait_for(lambda: len(fake_slack.calls_to("chat.postEphemeral")) == 2)
    answers = {c.args["user"]: c.args["text"] for c in fake_slack.calls_to("chat.postEphemeral")}
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee in ("U0TECH1", "U0TECH2")
    loser = "U0TECH2" if ticket.assignee == "U0TECH1" else "U0TECH1"
    assert answers[ticket.assignee] == "HD-1 es suyo."
    assert answers[loser] == f"HD-1 ya lo tiene <@{ticket.assignee}>."
    actions = [e["action"] for e in await store.audit_of(desk.services.db, 1)]
    assert actions.count("asignado") == 1


async def test_who_may_do_what(desk: Desk, fake_slack: FakeSlack) -> None:
    assert "Solo el equipo de soporte" in await command(desk, "tomar 1", user="U0STRANGER")
    await desk.slack(block_action("ticket_cerrar", "1", user="U0STRANGER"))
    assert "Solo el equipo de soporte" in await said(fake_slack, 1)
    assert await command(desk, "tomar 1 <@U0TECH2|ana>") == (
        "Solo un líder puede asignar tickets a otra persona."
    )
    assert await command(desk, "equipo agregar <@U0NEW|luis> tecnico") == (
        "Solo un líder puede administrar el equipo."
    )
    assert await command(desk, "equipo agregar <@U0NEW|luis> tecnico", user="U0LEAD") == (
        "<@U0NEW> es técnico del equipo de soporte."
    )
    assert await command(desk, "tomar 1", user="U0NEW") == "HD-1 es suyo."
    assert await command(desk, "soltar 1", user="U0TECH2") == (
        "HD-1 lo tiene <@U0NEW>: solo esa persona o un líder pueden soltarlo."
    )
    assert await command(desk, "tomar 1 <@U0OUTSIDER|eva>", user="U0LEAD") == (
        "<@U0OUTSIDER> no es del equipo de soporte: agréguelo antes con "
        "`/hib2b equipo agregar @persona tecnico`."
    )
    assert await command(desk, "tomar 1 <@U0TECH2|ana>", user="U0LEAD") == (
        "HD-1 quedó asignado a <@U0TECH2>."
    )
    team = await command(desk, "equipo lista")
    assert "<@U0LEAD>" in team and "<@U0NEW>" in team
    assert "HIB2B_LEADS" in await command(desk, "equipo quitar <@U0LEAD>", user="U0LEAD")
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee == "U0TECH2"


async def test_what_each_status_refuses(desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> None:
    assert await command(desk, "llamada HD-999 Hablamos") == "No existe el ticket HD-999."
    assert (
        await command(desk, "reabrir 1 porque sí") == "HD-1 está abierto: no hay nada que reabrir."
    )
    assert await command(desk, "nota 1") == "Escriba la nota."
    assert (await command(desk, "severidad 1 urgentisimo")).startswith("Indique la severidad")
    # Closing as a duplicate needs an original that exists.
    response = await desk.slack(
        view_submission(
            "hib2b_cerrar",
            1,
            {
                "tipo": ("radio_buttons", "duplicado"),
                "texto": "Ya reportado",
                "causa": ("static_select", "otra"),
                "causa_texto": "Duplicado",
                "original": "HD-77",
            },
        )
    )
    assert json.loads(response.text) == {
        "response_action": "errors",
        "errors": {"original": "Indique el ticket original del que este es duplicado (HD-N)."},
    }
    response = await desk.slack(
        view_submission(
            "hib2b_cerrar",
            1,
            {
                "tipo": ("radio_buttons", "resuelto"),
                "texto": "Listo",
                "causa": ("static_select", "otra"),
                "causa_texto": "",
                "original": "",
            },
        )
    )
    # Shown on the input it concerns: the cause's detail, required when the cause is «Otra».
    assert json.loads(response.text)["errors"] == {"causa_texto": "Escriba la causa raíz."}
    assert await command(desk, "cerrar 1 spam") == "HD-1 cerrado. No se envía correo al proveedor."
    assert await command(desk, "cerrar 1 spam") == "HD-1 ya está cerrado."
    refused = await command(desk, "responder 1 Hola")
    assert refused.startswith("HD-1 está cerrado: no se puede responder.")
    response = await desk.slack(view_submission("hib2b_responder", 1, {"texto": "Hola"}))
    assert json.loads(response.text)["response_action"] == "errors"
    await desk.drained()
    assert len(smtp.messages) == 1  # only the confirmation: spam close sends nothing


async def test_notes_never_reach_the_supplier(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    secret = "NOTA-SECRETA-el proveedor debe 3 facturas"
    await desk.slack(view_submission("hib2b_nota", 1, {"texto": secret}))
    await thread_has(fake_slack, "Nota interna")
    await command(desk, f"nota 1 {secret} (2)")
    await command(desk, "responder 1 Estamos revisando su caso.")
    await command(desk, "esperar 1 falta XML")
    await command(desk, "cerrar 1 capacitacion Se explicó cómo cargar la factura.")
    await command(desk, "reabrir 1 volvió a escribir")
    mails = await smtp.wait_for(4)  # confirmation, reply, closing summary, reopened
    await desk.drained()
    assert len(mails) == 4
    assert all("NOTA-SECRETA" not in m.as_string() for m in mails)
    assert all(
        "NOTA-SECRETA" not in m.get_body(preferencelist=("plain",)).get_content() for m in mails
    )


async def test_a_submission_sent_twice_is_applied_once(desk: Desk, smtp: FakeSmtp) -> None:
    submission = view_submission("hib2b_responder", 1, {"texto": "Una sola vez"}, view_id="VSAME")
    await asyncio.gather(desk.slack(submission), desk.slack(submission))
    await smtp.wait_for(2)  # the confirmation and the reply (which also assigns the ticket)
    await desk.drained()
    replies = [m for m in smtp.messages if "Una sola vez" in m.as_string()]
    assert len(replies) == 1


async def test_severity_select_applies_at_once(desk: Desk, fake_slack: FakeSlack) -> None:
    await desk.slack(block_action("ticket_severidad", "", selected="critico", block_id="ticket:1"))
    assert await said(fake_slack, 1) == "Severidad de HD-1: Crítico."
    await card_shows(fake_slack, "Crítico")
    assert await command(desk, "severidad hd-1 bajo no es una caída") == "Severidad de HD-1: Bajo."
    entries = [e for e in await store.audit_of(desk.services.db, 1) if e["action"] == "severidad"]
    assert [(e["actor"], e["detail"]["a"], e["detail"]["motivo"]) for e in entries] == [
        ("U0TECH1", "critico", ""),
        ("U0TECH1", "bajo", "no es una caída"),
    ]


async def test_modal_from_command_and_views(desk: Desk, fake_slack: FakeSlack) -> None:
    response = await desk.slack(slash_command("responder HD-1"))
    assert response.status == 200
    [opened] = await fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
    assert opened.args["trigger_id"] == "1.2.3"
    listing = await command(desk, "lista")
    assert "*Tickets abiertos (1)*" in listing and "*HD-1*" in listing
    assert "_Ninguno._" in await command(desk, "lista mios")
    assert "HD-1" in await command(desk, "lista sin-asignar")
    assert "Asignado a: nadie" in await command(desk, "ver 1")


async def test_card_ends_in_the_latest_state_when_slack_was_down(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.update", times=4, status=503)
    await command(desk, "tomar 1")
    await command(desk, "esperar 1")
    await command(desk, "severidad 1 critico")
    await fake_slack.wait_for(lambda: len(fake_slack.calls_to("chat.update")) >= 7, timeout=15)
    await card_shows(fake_slack, "Esperando proveedor", "Crítico", "<@U0TECH1>")


async def test_cli_does_what_slack_does(desk: Desk, tmp_path: Path, smtp: FakeSmtp) -> None:
    env = {"HIB2B_DATA_DIR": str(desk.settings.data_dir), "HIB2B_SECRET_KEY": "k" * 40, **TEAM}
    claimed = await run_cli_async(tmp_path, env, "tomar", "HD-1", "--as", "U0TECH1")
    assert claimed.returncode == 0 and claimed.stdout.strip() == "HD-1 es suyo."
    refused = await run_cli_async(tmp_path, env, "--as", "U0NOBODY", "soltar", "1")
    assert refused.returncode == 1 and "Solo el equipo" in refused.stdout
    replied = await run_cli_async(
        tmp_path, env, "responder", "1", "Respuesta", "desde", "la", "terminal"
    )
    assert replied.returncode == 0
    # The running service sends what the CLI queued.
    mails = await smtp.wait_for(3, timeout=10)
    assert "Respuesta desde la terminal" in body(mails[-1])


async def test_reply_with_files_attaches_them(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    guide = b"%PDF-1.4 guia de carga de facturas\n%%EOF\n"
    shared = fake_slack.shared_file("guía.pdf", guide, "application/pdf")
    response = await desk.slack(
        view_submission("hib2b_responder", 1, {"texto": "Le envío la guía.", "archivos": [shared]})
    )
    assert response.status == 200 and response.text == ""
    reply = (await smtp.wait_for(2))[1]
    [attachment] = list(reply.iter_attachments())
    assert attachment.get_filename() == "guía.pdf" and attachment.get_content() == guide
    await thread_has(fake_slack, "Adjuntos: guía.pdf")


async def test_reply_file_too_large_is_a_modal_error(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url), **smtp_env(smtp), **TEAM, HIB2B_MAX_FILE_MB="1"
    )
    await desk.submit()
    shared = fake_slack.shared_file(
        "enorme.pdf", b"%PDF" + bytes(1024 * 1024 + 1), "application/pdf"
    )
    response = await desk.slack(
        view_submission("hib2b_responder", 1, {"texto": "Adjunto", "archivos": [shared]})
    )
    assert json.loads(response.text)["errors"] == {
        "archivos": "«enorme.pdf»: supera el tamaño permitido."
    }
    await smtp.wait_for(1)
    await desk.drained()
    assert len(smtp.messages) == 1


async def test_a_script_attached_to_a_reply_in_slack_is_refused_like_a_suppliers(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    await desk.submit()
    script = fake_slack.shared_file("arreglo.bat", b"@echo off\r\ndel *.*", "text/plain")
    response = await desk.slack(
        view_submission("hib2b_responder", 1, {"texto": "Ejecute esto", "archivos": [script]})
    )
    [error] = json.loads(response.text)["errors"].values()
    assert error.startswith("«arreglo.bat» no se puede enviar: un archivo .bat no se acepta")
    await smtp.wait_for(1)
    await desk.drained()
    assert len(smtp.messages) == 1  # the supplier got nothing
