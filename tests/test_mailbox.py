"""Two-way email against a real IMAP server (Debian's Dovecot): supplier replies land in the
ticket's thread; new emails open tickets; auto-replies and bounces do not."""

from __future__ import annotations

import asyncio
import json
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from bot.config import load_settings
from bot.delivery.supervisor import Supervisor
from handlers.mail.reader import MailboxReader
from store import tickets as store
from tests import samples
from tests.conftest import smtp_env
from tests.desk import Desk, slack_env, slash_command
from tests.fakes.dovecot import Dovecot, wait_until
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1"}


@pytest.fixture
def desk(mail_desk: Desk) -> Desk:
    return mail_desk


def reply_to(original: EmailMessage, text: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Xime <xime@example.com>"
    message["To"] = "soporte@portalhib2b.com"
    message["Subject"] = "RE: " + str(original["Subject"])
    message["Message-ID"] = make_msgid(domain="example.com")
    message["In-Reply-To"] = original["Message-ID"]
    message["References"] = original["Message-ID"]
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def thread_texts(fake: FakeSlack) -> list[str]:
    card = fake.cards()[0]
    return [json.dumps(m["blocks"] or [], ensure_ascii=False) for m in fake.replies(card["ts"])]


async def test_a_reply_lands_in_the_thread_once(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    confirmation = smtp.messages[0]
    text = (
        "Ya pude entrar, gracias.\n\nEl jue, 27 nov 2026 a las 10:00, Soporte HIB2B "
        "escribió:\n> Estimado xime1805,\n> Le informamos…\n\n-- \nXimena, Proveedora"
    )
    started = time.monotonic()
    await dovecot.deliver(reply_to(confirmation, text).as_bytes())
    await fake_slack.wait_for(
        lambda: any("Respuesta del proveedor" in t for t in thread_texts(fake_slack)), timeout=15
    )
    arrival = time.monotonic() - started
    [posted] = [t for t in thread_texts(fake_slack) if "Respuesta del proveedor" in t]
    assert "Ya pude entrar, gracias." in posted
    assert "Le informamos" not in posted and "Ximena, Proveedora" not in posted
    await wait_until(lambda: _flagged(dovecot, 1))
    # The service dies after committing and before flagging: the message is read again.
    await dovecot.unflag_all()
    await wait_until(lambda: _flagged(dovecot, 1))
    await asyncio.sleep(0.3)
    assert sum("Respuesta del proveedor" in t for t in thread_texts(fake_slack)) == 1
    print(f"\nmailbox to thread: {arrival:.2f}s")


async def _flagged(dovecot: Dovecot, count: int) -> bool:
    return await dovecot.flagged_done() == count


async def test_matching_by_subject_and_new_tickets(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    by_subject = EmailMessage()
    by_subject["From"] = "otra.persona@example.com"
    by_subject["Subject"] = "Re: [HD-1] Ticket generado"
    by_subject["Message-ID"] = make_msgid(domain="example.com")
    by_subject.set_content("Adjunto más datos.")
    await dovecot.deliver(by_subject.as_bytes())

    fresh = EmailMessage()
    fresh["From"] = "Proveedor Nuevo <nuevo@proveedor.mx>"
    fresh["Subject"] = "No puedo subir mi factura"
    fresh["Message-ID"] = make_msgid(domain="proveedor.mx")
    fresh.set_content("Me marca error de RFC.")
    fresh.add_attachment(
        samples.CFDI, maintype="application", subtype="xml", filename="factura.xml"
    )
    await dovecot.deliver(fresh.as_bytes())

    await wait_until(lambda: _count(desk, 2))
    ticket = await store.get_ticket(desk.services.db, 2)
    assert ticket is not None and ticket.source == "correo" and ticket.triage == 1
    assert ticket.correo == "nuevo@proveedor.mx" and "Me marca error de RFC." in (
        ticket.descripcion
    )
    assert [a.display_name for a in await store.attachments_of(desk.services.db, 2)] == [
        "factura.xml"
    ]
    mails = await smtp.wait_for(2)
    assert mails[1]["Subject"].startswith("[HD-2]")
    await fake_slack.wait_for(
        lambda: any("Adjunto más datos." in t for t in thread_texts(fake_slack))
    )


async def _count(desk: Desk, count: int) -> bool:
    return await store.count_tickets(desk.services.db) == count


async def test_auto_replies_and_bounces(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    confirmation = smtp.messages[0]
    away = reply_to(
        confirmation, "Estoy de vacaciones hasta el lunes.", Auto_Submitted="auto-replied"
    )
    await dovecot.deliver(away.as_bytes())
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.example.com"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.example.com")
    bounce.set_content("The mail system: user unknown")
    bounce.make_mixed()
    returned = EmailMessage()
    returned["Message-ID"] = confirmation["Message-ID"]
    returned["Subject"] = confirmation["Subject"]
    bounce.attach(_rfc822(returned))
    await dovecot.deliver(bounce.as_bytes())
    await wait_until(lambda: _flagged(dovecot, 2))
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.mail_bounced == 1 and ticket.status == "nuevo"
    assert await store.count_tickets(desk.services.db) == 1
    await fake_slack.wait_for(lambda: any("Correo rebotado" in t for t in thread_texts(fake_slack)))
    assert not any("vacaciones" in t for t in thread_texts(fake_slack))


def _rfc822(inner: EmailMessage) -> EmailMessage:
    part = EmailMessage()
    part.set_content(inner)
    return part


async def test_spanish_charsets_html_and_attachments(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    confirmation = smtp.messages[0]
    legacy = (
        f"From: =?windows-1252?Q?Ma=F1ana_Pe=F1a?= <xime@example.com>\r\n"
        f"Subject: =?iso-8859-1?Q?Re:_factura_n=FAmero_5?=\r\n"
        f"Message-ID: <cp1252.1@example.com>\r\nIn-Reply-To: {confirmation['Message-ID']}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + ("La facturación de Ñandú “ya quedó”.\r\n").encode("cp1252")
    assert await desk.services.desk.receive_mail(legacy) == "respuesta"
    html = EmailMessage()
    html["From"] = "xime@example.com"
    html["Subject"] = "Re: [HD-1]"
    html["Message-ID"] = "<html.1@example.com>"
    html.set_content(
        "<html><body><p>Hola <b>equipo</b>,</p><p>ya funciona &amp; listo.</p>"
        "<blockquote>texto citado</blockquote></body></html>",
        subtype="html",
    )
    with_file = reply_to(confirmation, "Va la captura.")
    with_file.add_attachment(samples.png(), maintype="image", subtype="png", filename="captura.png")
    assert await desk.services.desk.receive_mail(html.as_bytes()) == "respuesta"
    assert await desk.services.desk.receive_mail(with_file.as_bytes()) == "respuesta"
    assert await desk.services.desk.receive_mail(with_file.as_bytes()) == "repetido"
    await fake_slack.wait_for(lambda: len(thread_texts(fake_slack)) >= 3)
    texts = "\n".join(thread_texts(fake_slack))
    assert "La facturación de Ñandú “ya quedó”." in texts
    assert "Hola equipo," in texts and "ya funciona & listo." in texts  # literal, not escaped
    assert "texto citado" not in texts
    await fake_slack.wait_for(
        lambda: any(f.get("title") == "captura.png" for f in fake_slack.files.values())
    )


async def test_replies_to_closed_tickets(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp, dovecot: Dovecot
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url),
        **smtp_env(smtp),
        **TEAM,
        **dovecot.env(),
        HIB2B_REOPEN_WINDOW="2s",
    )
    await desk.submit()
    await desk.submit()
    confirmations = await smtp.wait_for(2)
    for number in (1, 2):
        await desk.slack(slash_command(f"cerrar {number} acceso Listo"))
    await smtp.wait_for(4)
    reopened = reply_to(confirmations[0], "Sigue fallando.")
    assert await desk.services.desk.receive_mail(reopened.as_bytes()) == "reabierto"
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.status == "nuevo"
    await asyncio.sleep(2.1)  # past the reopen window
    late = reply_to(confirmations[1], "Otra duda distinta.")
    assert await desk.services.desk.receive_mail(late.as_bytes()) == "nuevo_relacionado"
    new = await store.get_ticket(desk.services.db, 3)
    assert new is not None and new.related_to == 2 and "Relacionado con HD-2" in new.descripcion


async def test_the_imap_server_restarts_while_the_service_runs(
    desk: Desk, dovecot: Dovecot, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    dovecot.stop()
    await asyncio.sleep(1.5)
    dovecot.start_again = None
    dovecot.start()
    await dovecot.deliver(reply_to(smtp.messages[0], "Después del reinicio.").as_bytes())
    await fake_slack.wait_for(
        lambda: any("Después del reinicio." in t for t in thread_texts(fake_slack)), timeout=40
    )


async def test_a_message_without_a_sender_opens_nothing(desk: Desk, dovecot: Dovecot) -> None:
    await dovecot.deliver(b"Subject: sin remitente\r\n\r\nTexto suelto.\r\n")
    await wait_until(lambda: _flagged(dovecot, 1))
    assert await store.count_tickets(desk.services.db) == 1
    row = await desk.services.db.fetchone("SELECT outcome FROM inbound")
    assert row[0] == "remitente_invalido"


async def test_a_message_that_cannot_be_processed_does_not_stop_the_mailbox(
    dovecot: Dovecot,
) -> None:
    handled: list[bytes] = []

    async def handle(raw: bytes, uid: str) -> str:
        if b"rompe" in raw:
            raise ValueError("no sé procesar esto")
        handled.append(raw)
        return "respuesta"

    failures: list[tuple[str, str]] = []

    async def failed(raw: bytes, uid: str, error: Exception) -> None:
        failures.append((uid, str(error)))

    reader = MailboxReader(load_settings(dovecot.env()), handle, failed)
    await dovecot.deliver(b"From: a@example.com\r\nSubject: rompe\r\n\r\nx\r\n")
    await dovecot.deliver(b"From: b@example.com\r\nSubject: bien\r\n\r\ny\r\n")
    supervisor = Supervisor()
    supervisor.start("mailbox", reader.run)
    try:
        await wait_until(lambda: _done(handled, reader))
    finally:
        assert await supervisor.stop() == []
    assert reader.status.failed == 1 and "no sé procesar esto" in reader.status.last_error
    assert failures == [("1", "no sé procesar esto")]
    assert await dovecot.flagged_done() == 1  # the good one; the other carries $Hib2bError


async def _done(handled: list[bytes], reader) -> bool:
    return len(handled) == 1 and reader.status.failed == 1


@pytest.mark.parametrize("tls", ["ssl", "starttls"])
async def test_the_mailbox_over_tls(start_desk, smtp: FakeSmtp, tls: str) -> None:
    server = Dovecot(tls=True).start()
    try:
        desk = await start_desk(**smtp_env(smtp), **server.env(tls))
        fresh = EmailMessage()
        fresh["From"] = "seguro@proveedor.mx"
        fresh["Subject"] = "Por un canal cifrado"
        fresh["Message-ID"] = make_msgid(domain="proveedor.mx")
        fresh.set_content("Hola.")
        await server.deliver(fresh.as_bytes())
        await wait_until(lambda: _count(desk, 1))
        assert desk.services.mailbox is not None and desk.services.mailbox.connected
        logins = server.service_logins()
        assert logins and all(", TLS" in line for line in logins), logins
    finally:
        server.remove()


async def test_starttls_fails_closed_when_the_server_cannot(start_desk, dovecot: Dovecot) -> None:
    env = {**dovecot.env(), "IMAP_TLS": "starttls"}
    desk = await start_desk(**env)
    await wait_until(lambda: _status_says(desk, "does not offer STARTTLS"))
    assert desk.services.mailbox is not None and not desk.services.mailbox.connected


async def _status_says(desk: Desk, text: str) -> bool:
    status = desk.services.mailbox
    return status is not None and text in status.last_error


async def test_a_failure_is_recorded_with_its_reason(desk: Desk) -> None:
    raw = b"From: a@example.com\r\nMessage-ID: <roto.1@example.com>\r\n\r\nx\r\n"
    await desk.services.desk.mail_failed(raw, "7", ValueError("no sé procesar esto"))
    row = await desk.services.db.fetchone(
        "SELECT message_id, mailbox_uid, outcome FROM inbound WHERE mailbox_uid = '7'"
    )
    assert tuple(row) == ("<roto.1@example.com>", "7", "error: ValueError: no sé procesar esto")
    # Recorded as seen: were it read again, it would not be applied.
    assert await desk.services.desk.receive_mail(raw) == "repetido"


async def test_delivered_messages_are_pruned_but_replies_still_find_their_ticket(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    """After HIB2B_KEEP_SENT the bodies of delivered posts and emails are gone; the card (the
    thread hangs from it) and the Message-IDs (a late reply finds its ticket) stay."""
    from datetime import UTC, datetime, timedelta

    from bot.delivery.janitor import prune_sent
    from store import outbox as queue

    clock = [datetime.now(UTC)]
    desk = await start_desk(
        now=lambda: clock[0], **slack_env(fake_slack.url), **smtp_env(smtp), **TEAM
    )
    await desk.submit()
    await desk.slack(slash_command("tomar 1", user="U0TECH1"))
    await desk.drained()
    confirmation = smtp.messages[0]
    delivered = {d.key for d in await queue.deliveries(desk.services.db)}
    assert {"hd-1:card", "hd-1:mail:creado"} < delivered and len(delivered) >= 5
    keep = desk.settings.keep_sent
    assert keep == timedelta(days=30)
    assert await prune_sent(desk.services.db, clock[0] - keep) == 0  # nothing old yet
    clock[0] += keep + timedelta(hours=1)
    assert await prune_sent(desk.services.db, clock[0] - keep) == len(delivered) - 1
    assert [d.key for d in await queue.deliveries(desk.services.db)] == ["hd-1:card"]
    late = reply_to(confirmation, "Sigo sin poder entrar.")
    assert await desk.services.desk.receive_mail(late.as_bytes()) == "respuesta"
    assert await store.count_tickets(desk.services.db) == 1  # it went to HD-1, not a new one


async def test_a_session_the_server_ends_during_idle_is_taken_up_again_at_once(
    desk: Desk, dovecot: Dovecot
) -> None:
    """Dovecot's BYE arrives while the reader idles (a restart, an admin's kick): it reconnects
    then, not after the IDLE's own 30 s, and a report sent meanwhile opens its ticket."""
    await wait_until(lambda: _idling(desk), timeout=10)
    dovecot.kick()
    report = EmailMessage()
    report["From"] = "Conta <conta@proveedora.mx>"
    report["To"] = "soporte@portalhib2b.com"
    report["Subject"] = "No puedo subir mi factura"
    report["Message-ID"] = make_msgid(domain="proveedora.mx")
    report.set_content("El portal rechaza el XML.")
    await dovecot.deliver(report.as_bytes())
    started = time.monotonic()
    await wait_until(lambda: _tickets(desk, 2), timeout=10)
    assert time.monotonic() - started < 10


async def _idling(desk: Desk) -> bool:
    return desk.services.mailbox is not None and desk.services.mailbox.connected


async def _tickets(desk: Desk, count: int) -> bool:
    return await store.count_tickets(desk.services.db) >= count
