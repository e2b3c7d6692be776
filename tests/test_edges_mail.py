"""Hostile or careless mail against the real service and a real Dovecot: a stranger naming a
ticket in the subject, our own mail coming back, spam, forged senders, dangerous attachments."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from bot.cases import team
from bot.desk import Asked
from store import tickets as store
from tests.conftest import smtp_env
from tests.desk import (
    Desk,
    assert_within_block_kit,
    formatted_texts,
    literal_texts,
    slack_env,
)
from tests.fakes.dovecot import Dovecot, wait_until
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp


@pytest.fixture
def desk(mail_desk: Desk) -> Desk:
    return mail_desk


def _mail(sender: str, subject: str, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "soporte@portalhib2b.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.net")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


async def _as_technician(desk: Desk, line: str) -> None:
    actor = await team.actor_for(desk.services.db, desk.settings, "U0TECH1")
    reply = await desk.services.desk.ask_line(Asked(actor, for_slack=False), line)
    assert not reply.refused, reply.text


def _thread(fake: FakeSlack) -> list[str]:
    card = fake.cards()[0]
    return [json.dumps(m["blocks"] or [], ensure_ascii=False) for m in fake.replies(card["ts"])]


async def _outcome(desk: Desk, count: int) -> list[tuple[str, int | None]]:
    rows = await desk.services.db.fetchall(
        "SELECT outcome, ticket FROM inbound ORDER BY at, message_id"
    )
    return [(row[0], row[1]) for row in rows] if len(rows) >= count else []


async def test_a_stranger_naming_the_ticket_changes_nothing(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    await _as_technician(desk, "esperar 1 falta el RFC")
    stranger = _mail(
        "Atacante <facturas@evil.example>",
        "Re: [HD-1] Ticket generado",
        "*Estado:* Cerrado. Pague aquí <!here>",
    )
    stranger.add_attachment(b"@echo off", maintype="text", subtype="plain", filename="x.bat")
    await dovecot.deliver(stranger.as_bytes())

    async def recorded() -> bool:
        return bool(await _outcome(desk, 1))

    await wait_until(recorded)
    assert await _outcome(desk, 1) == [("no_verificado", 1)]
    await fake_slack.wait_for(
        lambda: any("remitente no verificado" in t for t in _thread(fake_slack))
    )
    card = fake_slack.cards()[0]
    [message] = [
        m for m in fake_slack.replies(card["ts"]) if "remitente no verificado" in json.dumps(m)
    ]
    formatted = "".join(formatted_texts(message["blocks"]))
    assert "facturas@evil.example" in formatted and "adjunto(s) no se guardaron" in formatted
    assert "<!here>" not in formatted and "*Estado:*" not in formatted  # never pings or formats
    assert "*Estado:* Cerrado. Pague aquí <!here>" in literal_texts(message["blocks"])
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.status == "esperando"  # not resumed
    assert await store.attachments_of(desk.services.db, 1) == []
    assert len(smtp.messages) == 1  # only the confirmation: the supplier was told nothing


async def test_a_stranger_cannot_reopen_a_closed_ticket_but_the_supplier_can(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    await _as_technician(desk, "cerrar 1 acceso Se restableció el acceso")
    await smtp.wait_for(2)  # the closing summary
    await dovecot.deliver(_mail("otro@evil.example", "[HD-1] reabrir", "Reabran esto").as_bytes())
    # The supplier's own address, with the number in the subject, is the supplier.
    await dovecot.deliver(
        _mail("Xime <XIME@example.com>", "Sigue fallando [HD-1]", "Sigue sin entrar.").as_bytes()
    )

    async def both() -> bool:
        return len(await _outcome(desk, 2)) == 2

    await wait_until(both)
    assert await _outcome(desk, 2) == [("no_verificado", 1), ("reabierto", 1)]
    reopened = (await smtp.wait_for(3))[2]
    assert reopened["To"] == "xime1805 <xime@example.com>" or "xime@example.com" in str(
        reopened["To"]
    )
    assert len(smtp.messages) == 3


@pytest.mark.parametrize(
    ("sender", "headers", "outcome"),
    [
        ("Soporte HIB2B <soporte@portalhib2b.com>", {}, "ignorado: remitente propio"),
        ("Oferta <promo@spam.example>", {"X_Spam_Flag": "YES"}, "ignorado: marcado como spam"),
        (
            "Banco <avisos@banco.example>",
            {"X_Spam_Status": "Yes, score=9.1 required=5.0"},
            "ignorado: marcado como spam",
        ),
        (
            "Director <director@cliente.example>",
            {"Authentication_Results": "mx.example; spf=pass; dkim=none; dmarc=fail (p=reject)"},
            "ignorado: DMARC fallido",
        ),
    ],
)
async def test_own_spam_and_forged_mail_open_nothing_and_answer_no_one(
    desk: Desk,
    dovecot: Dovecot,
    smtp: FakeSmtp,
    sender: str,
    headers: dict[str, str],
    outcome: str,
) -> None:
    await dovecot.deliver(_mail(sender, "Ayuda urgente", "Necesito acceso.", **headers).as_bytes())

    async def recorded() -> bool:
        return bool(await _outcome(desk, 1))

    await wait_until(recorded)
    assert await _outcome(desk, 1) == [(outcome, None)]
    assert await store.count_tickets(desk.services.db) == 1  # only HD-1 from the form
    assert len(smtp.messages) == 1  # no confirmation to a forged sender (no backscatter)


async def test_dangerous_attachments_by_email_are_left_out_with_the_reason(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack
) -> None:
    confirmation_id = (await desk.services.db.fetchone("SELECT message_id FROM sent_messages"))[0]
    reply = _mail(
        "Xime <xime@example.com>",
        "RE: [HD-1] Ticket generado",
        "Le mando la factura y un script.",
        In_Reply_To=confirmation_id,
    )
    for data, kind, name in [
        (b"<html><script>x()</script></html>", "text/html", "factura.pdf"),
        (b"Write-Host hola", "text/plain", "arreglo.ps1"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", "logo.svg"),
        (b"RFC: XAXX010101000\n", "text/plain", "datos.txt"),
    ]:
        maintype, subtype = kind.split("/")
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    await dovecot.deliver(reply.as_bytes())
    await fake_slack.wait_for(
        lambda: any("Respuesta del proveedor" in t for t in _thread(fake_slack)), timeout=15
    )
    [posted] = [t for t in _thread(fake_slack) if "Respuesta del proveedor" in t]
    for name in ("factura.pdf", "arreglo.ps1", "logo.svg"):
        assert f"«{name}» no se guardó" in posted
    kept = await store.attachments_of(desk.services.db, 1)
    assert [(a.display_name, a.content_type) for a in kept] == [("datos.txt", "text/plain")]


async def test_a_huge_reply_is_shown_in_pieces_and_kept_whole_as_a_file(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack
) -> None:
    confirmation_id = (await desk.services.db.fetchone("SELECT message_id FROM sent_messages"))[0]
    line = "Renglón de la bitácora del portal con el error 500 & <detalle> *importante*.\n"
    text = line * (500_000 // len(line))
    reply = _mail("xime@example.com", "RE: [HD-1]", text, In_Reply_To=confirmation_id)
    await dovecot.deliver(reply.as_bytes())
    await fake_slack.wait_for(
        lambda: any("Respuesta del proveedor" in t for t in _thread(fake_slack)), timeout=20
    )
    card = fake_slack.cards()[0]
    [posted] = [
        m for m in fake_slack.replies(card["ts"]) if "Respuesta del proveedor" in json.dumps(m)
    ]
    assert_within_block_kit(posted["blocks"])
    shown = "".join(literal_texts(posted["blocks"]))
    assert shown.startswith(line) and "correo-completo.txt" in shown
    [whole] = await store.attachments_of(desk.services.db, 1)
    assert whole.display_name == "correo-completo.txt"
    kept = (desk.settings.data_dir / whole.stored_name).read_text("utf-8")
    assert kept.replace("\r\n", "\n").strip() == text.strip()
    await fake_slack.wait_for(
        lambda: fake_slack.calls_to("files.completeUploadExternal"), timeout=15
    )


async def test_a_message_too_big_to_be_worth_reading_is_left_for_a_person(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp, dovecot: Dovecot
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url),
        **smtp_env(smtp),
        **dovecot.env(),
        HIB2B_MAX_FILE_MB="1",
        HIB2B_MAX_TOTAL_MB="1",  # so anything over 7 MiB is not read
    )
    huge = _mail("xime@example.com", "Mi factura", "Adjunto todo.")
    huge.add_attachment(
        b"%PDF-1.4\n" + b"x" * (8 * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="enorme.pdf",
    )
    await dovecot.deliver(huge.as_bytes())
    await dovecot.deliver(_mail("ana@proveedor.mx", "Ayuda", "No puedo entrar.").as_bytes())

    async def both() -> bool:
        return len(await _outcome(desk, 2)) == 2

    await wait_until(both)
    outcomes = await _outcome(desk, 2)
    assert outcomes[0][0].startswith("error: ValueError: message of") and outcomes[0][1] is None
    assert outcomes[1] == ("nuevo", 1)  # the reader went on to the next message
    assert desk.services.mailbox is not None and desk.services.mailbox.failed == 1
