"""`/hib2b fusionar HD-A HD-B` on the real service: A closes into B, B's thread shows what came
from A (with A's files named), A's supplier is told once, and A's later emails — replies to
its messages or naming it in the subject — reach B."""

from __future__ import annotations

import json
from email.message import EmailMessage

from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.samples import PDF

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    return json.loads((await desk.slack(slash_command(line, user))).text)["text"]


def thread_of(fake: FakeSlack, number: int) -> list[str]:
    card = next(
        m
        for m in fake.cards()
        if (m["metadata"] or {}).get("event_payload", {}).get("ticket") == number
    )
    return [m["text"] or "" for m in fake.replies(card["ts"])]


async def test_merge_closes_into_the_other_and_routes_what_comes_later(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    await desk.submit()  # HD-1, by the form
    await desk.submit(  # HD-2: the same supplier again, with a file
        {**GOOD, "descripcion": "Sigo sin poder entrar, ¿ya vieron mi caso?"},
        files=[("captura.pdf", PDF)],
    )
    confirmations = await smtp.wait_for(2)
    await desk.drained()

    assert "dos tickets distintos" in await said(desk, "fusionar 2 2")
    await desk.submit({**GOOD, "correo": "otra@proveedora.mx"})  # HD-3, someone else
    assert "proveedores distintos" in await said(desk, "fusionar 3 1")
    assert "No existe el ticket HD-9" in await said(desk, "fusionar 9 1")
    assert "Solo el equipo" in await said(desk, "fusionar 2 1", user="U0STRANGER")
    assert await said(desk, "fusionar 2 1") == "HD-2 se fusionó en HD-1; se avisó al proveedor."
    assert "ya está cerrado" in await said(desk, "fusionar 2 1")
    await desk.drained()

    row = await desk.services.db.fetchone(
        "SELECT status, close_kind, duplicate_of FROM tickets WHERE number = 2"
    )
    assert tuple(row) == ("cerrado", "duplicado", 1)
    into = " ".join(thread_of(fake_slack, 1))
    assert "fusionó" in into and "HD-2" in into and "captura.pdf" in into
    assert "Sigo sin poder entrar" in into
    told = [m for m in smtp.messages if "continúa en HD-1" in str(m["Subject"])]
    assert len(told) == 1 and "[HD-2]" in str(told[0]["Subject"])

    # A reply to HD-2's confirmation, and a new email naming HD-2, both reach HD-1.
    reply = EmailMessage()
    reply["From"] = GOOD["correo"]
    reply["Subject"] = "Re: [HD-2] Ticket generado"
    reply["Message-ID"] = "<merge.reply.1@example.com>"
    reply["In-Reply-To"] = confirmations[1]["Message-ID"]
    reply.set_content("Ya pude entrar, gracias.")
    assert await desk.services.desk.receive_mail(reply.as_bytes()) == "respuesta"
    named = EmailMessage()
    named["From"] = GOOD["correo"]
    named["Subject"] = "Sobre el [HD-2]"
    named["Message-ID"] = "<merge.named.1@example.com>"
    named.set_content("Otra cosa del mismo caso.")
    assert await desk.services.desk.receive_mail(named.as_bytes()) == "respuesta"
    await desk.drained()
    texts = " ".join(thread_of(fake_slack, 1))
    assert texts.count("Respuesta del proveedor") == 2
    row = await desk.services.db.fetchone("SELECT status FROM tickets WHERE number = 2")
    assert row[0] == "cerrado"  # the merged ticket stays closed
