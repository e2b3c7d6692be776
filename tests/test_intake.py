"""The intake spine end to end: the real service on loopback, the fake Slack Web API, a real
SMTP server and a real SQLite file, driven as a supplier and a technician would."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from slack_sdk.models.blocks import Block

from bot.delivery.janitor import sweep_abandoned_uploads
from store import outbox as queue
from store import tickets as store
from tests import samples
from tests.desk import (
    GOOD,
    Desk,
    block_action,
    formatted_texts,
    hidden_fields,
    literal_texts,
    slack_env,
    slash_command,
    stored_uploads,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp


def _number_from(response_url: str) -> int:
    return int(re.search(r"HD-(\d+)", response_url).group(1))  # type: ignore[union-attr]


async def _ticket_number(desk: Desk, page_text: str) -> int:
    return int(re.search(r"HD-(\d+)", page_text).group(1))  # type: ignore[union-attr]


def _text_of(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return part.get_content()


async def test_form_shows_the_manuals_fields(desk: Desk) -> None:
    page = await desk.get("/soporte")
    assert page.status == 200
    for label in (
        "Descripción del Incidente",
        "Usuario, RFC o Razón Social",
        "Correo Contacto",
        "Liga Portal",
        "Documentos Adjuntos",
        "Aviso de privacidad",
        "Solicitud de Creación de Usuario",
        "Olvidé mi Contraseña",
        "No sé Cargar la Factura",
        "Error al Cargar mi Factura",
        "Conectividad",
        "No lo sé",
    ):
        assert label in page.text
    for name in ("descripcion", "usuario", "correo", "liga_portal"):
        assert f'<label for="{name}">' in page.text and f'id="{name}" name="{name}"' in page.text
    assert 'name="adjuntos" multiple' in page.text
    assert (await desk.get("/soporte.php")).status == 200
    privacy = await desk.get("/privacidad")
    assert privacy.status == 200 and "Aviso de privacidad" in privacy.text


async def test_good_submission_makes_ticket_card_and_email(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    response = await desk.submit(
        files=[("factura.xml", samples.CFDI), ("factura.pdf", samples.PDF)]
    )
    assert response.status == 303
    location = response.headers["Location"]
    assert location.startswith("/soporte/gracias?t=") and "HD-" not in location
    thanks = await desk.get(location)
    assert "Gracias por el envío, muy pronto se pondrá en contacto con usted un especialista" in (
        thanks.text
    )
    assert "HD-1" in thanks.text

    cards = await fake_slack.wait_for(lambda: fake_slack.cards())
    card = cards[0]
    assert card["channel"] == "C0SUPPORT"
    assert card["metadata"] == {"event_type": "hib2b_ticket", "event_payload": {"ticket": 1}}
    for block in card["blocks"]:
        Block.parse(block).validate_json()  # Slack's own limits, checked by slack_sdk
    shown = json.dumps(card["blocks"], ensure_ascii=False)
    for fact in (
        "HD-1",
        "Olvidé mi Contraseña",
        "Bajo",
        "xime1805",
        "xime@example.com",
        "https://acme.portalhib2b.com",
        "<!date^",
        "No puedo entrar al portal",
    ):
        assert fact in shown
    actions = [
        e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == [
        "ticket_tomar",
        "ticket_responder",
        "ticket_nota",
        "ticket_cerrar",
        "ticket_severidad",
        "ticket_mas",
    ]

    await fake_slack.wait_for(
        lambda: len([f for f in fake_slack.files.values() if f.get("thread_ts") == card["ts"]]) == 2
    )
    uploaded = sorted(f["data"] for f in fake_slack.files.values())
    assert uploaded == sorted([samples.CFDI, samples.PDF])

    [mail] = await smtp.wait_for(1)
    assert mail["Subject"] == "[HD-1] Ticket generado: Olvidé mi Contraseña"
    assert mail["To"].addresses[0].addr_spec == "xime@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "Soporte HIB2B <soporte@portalhib2b.com>"
    text = _text_of(mail, "plain")
    assert "Estimado xime1805," in text
    assert "Le informamos que el ticket HD-1 ha sido generado" in text
    assert "factura.xml, factura.pdf" in text and "soporte@portalhib2b.com" in text
    assert "Le informamos que el ticket <strong>HD-1</strong>" in _text_of(mail, "html")
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and mail["Message-ID"] == ticket.email_thread
    await fake_slack.wait_for(lambda: True)
    ticket = await _wait_ticket_card(desk, 1)
    assert ticket.slack_ts == card["ts"]
    audit = await store.audit_of(desk.services.db, 1)
    assert [entry["action"] for entry in audit] == ["creado"]


async def _wait_ticket_card(desk: Desk, number: int) -> store.Ticket:
    for _ in range(200):
        ticket = await store.get_ticket(desk.services.db, number)
        if ticket and ticket.slack_ts:
            return ticket
        await asyncio.sleep(0.02)
    raise AssertionError(f"HD-{number} never got its card ts")


async def test_bad_input_keeps_values_and_good_files(desk: Desk, fake_slack: FakeSlack) -> None:
    token = await desk.form_token()
    fields = {**GOOD, "correo": "xime arroba example", "tipo": ""}
    response = await desk.submit(
        fields, files=[("factura.xml", samples.CFDI), ("programa.pdf", samples.EXE)], token=token
    )
    assert response.status == 422
    assert 'class="error" id="correo-error"' in response.text
    assert 'class="error" id="tipo-error"' in response.text
    assert "«programa.pdf» no se adjuntó: tipo de archivo no permitido" in response.text
    assert "No puedo entrar al portal desde ayer." in response.text  # typed values kept
    assert 'value="xime1805"' in response.text
    assert "factura.xml" in response.text and "ya recibidos" in response.text
    assert await store.count_tickets(desk.services.db) == 0

    # The supplier fixes the fields and sends again without choosing the file again.
    again = await desk.submit(GOOD, token=hidden_fields(response.text)["form_token"])
    assert again.status == 303
    attachments = await store.attachments_of(desk.services.db, 1)
    assert [(a.display_name, a.content_type) for a in attachments] == [
        ("factura.xml", "application/xml")
    ]


async def test_supplier_can_drop_a_kept_file(desk: Desk) -> None:
    response = await desk.submit(
        {**GOOD, "descripcion": ""}, files=[("captura.png", samples.png())]
    )
    assert response.status == 422
    file_id = re.search(r'name="quitar" value="(\d+)"', response.text).group(1)  # type: ignore
    again = await desk.submit(
        GOOD, token=hidden_fields(response.text)["form_token"], extra=[("quitar", file_id)]
    )
    assert again.status == 303
    assert await store.attachments_of(desk.services.db, 1) == []


async def test_supplier_text_is_escaped_everywhere(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    hostile = "Ayuda <!channel> <https://evil.example|banco> & <script>alert(1)</script>"
    response = await desk.submit(
        {**GOOD, "descripcion": hostile, "usuario": "<@U0LEAD> x\r\nBcc: victim@example.com"}
    )
    assert response.status == 303
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    formatted = "".join(formatted_texts(card["blocks"])) + card["text"]
    assert "<!channel>" not in formatted and "<@U0LEAD>" not in formatted
    assert "&lt;@U0LEAD&gt;" in card["text"]  # the notification names the supplier, escaped
    literal = literal_texts(card["blocks"])
    assert hostile in literal  # shown exactly as typed, where Slack never formats
    assert any("<@U0LEAD> x Bcc: victim@example.com" in text for text in literal)
    [mail] = await smtp.wait_for(1)
    assert "Bcc" not in mail
    assert [a.addr_spec for a in mail["To"].addresses] == ["xime@example.com"]
    assert smtp.inbox.envelopes[0][1] == ["xime@example.com"]
    html = _text_of(mail, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = await desk.get("/soporte")
    assert "<script>" not in page.text


async def test_long_description_is_shortened_on_card_and_whole_in_thread(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    long_text = "Al cargar la factura aparece un error. " * 200  # 7,800 characters
    await desk.submit({**GOOD, "descripcion": long_text})
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    assert "texto completo en el hilo" in json.dumps(card["blocks"], ensure_ascii=False)
    [reply] = await fake_slack.wait_for(lambda: fake_slack.replies(card["ts"]))
    whole = "".join(literal_texts(reply["blocks"]))
    assert whole.replace("\n", "") == long_text.strip().replace("\n", "")
    assert reply["metadata"]["event_payload"]["key"] == "hd-1:description"


async def test_double_submit_gives_one_ticket(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    token = await desk.form_token()
    first, second = await asyncio.gather(desk.submit(token=token), desk.submit(token=token))
    assert first.status == second.status == 303
    third = await desk.submit(token=token, follow=True)  # the back button, then send again
    assert "HD-1" in third.text
    assert await store.count_tickets(desk.services.db) == 1
    await smtp.wait_for(1)
    await desk.drained()
    assert len(smtp.messages) == 1 and len(fake_slack.cards()) == 1


async def test_twenty_concurrent_submissions_get_contiguous_numbers(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    pages = await asyncio.gather(
        *[desk.submit({**GOOD, "usuario": f"proveedor{i}"}, follow=True) for i in range(20)]
    )
    numbers = sorted(await asyncio.gather(*[_ticket_number(desk, p.text) for p in pages]))
    assert numbers == list(range(1, 21))
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 20, timeout=20)
    await smtp.wait_for(20, timeout=20)
    posted = sorted(c["metadata"]["event_payload"]["ticket"] for c in fake_slack.cards())
    assert posted == numbers


async def test_forged_or_missing_form_token_is_refused(desk: Desk) -> None:
    assert (await desk.submit(token="abc.123.forged")).status == 403
    assert (await desk.submit(token="")).status == 403
    assert await store.count_tickets(desk.services.db) == 0


async def test_honeypot_filled_is_refused(desk: Desk) -> None:
    assert desk.http is not None
    token = await desk.form_token()
    async with desk.http.post(
        desk.url + "/soporte",
        data={
            **GOOD,
            "form_token": token,
            "sitio_web": "http://spam.example",
        },
        allow_redirects=False,
    ) as response:
        assert response.status == 400
        assert "Solicitud no válida" in await response.text()  # the form's style, in Spanish
    assert await store.count_tickets(desk.services.db) == 0


async def test_rate_limit_per_address(start_desk, fake_slack: FakeSlack) -> None:
    desk = await start_desk(HIB2B_FORM_RATE_LIMIT="3")
    statuses = [(await desk.submit({**GOOD, "descripcion": ""})).status for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    # Behind an untrusted hop, X-Forwarded-For is ignored: still the same address.
    spoofed = await desk.submit(headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status == 429
    assert await store.count_tickets(desk.services.db) == 0


async def test_trusted_proxy_forwarded_address_counts(start_desk) -> None:
    desk = await start_desk(HIB2B_FORM_RATE_LIMIT="1", HIB2B_TRUSTED_PROXIES="127.0.0.1")
    one = await desk.submit(headers={"X-Forwarded-For": "203.0.113.9"})
    two = await desk.submit(headers={"X-Forwarded-For": "203.0.113.10"})
    three = await desk.submit(headers={"X-Forwarded-For": "203.0.113.9"})
    assert (one.status, two.status, three.status) == (303, 303, 429)
    ticket = await store.get_ticket(desk.services.db, 2)
    assert ticket is not None and ticket.client_ip == "203.0.113.10"


async def test_upload_limits(start_desk) -> None:
    desk = await start_desk(HIB2B_MAX_FILES="2", HIB2B_MAX_FILE_MB="1", HIB2B_MAX_TOTAL_MB="2")
    big = samples.big_pdf(1024 * 1024 + 10)
    response = await desk.submit(
        files=[
            ("grande.pdf", big),
            ("a.png", samples.png()),
            ("b.gif", samples.GIF),
            ("c.jpg", samples.JPEG),
        ]
    )
    assert response.status == 422
    assert "«grande.pdf» no se adjuntó: supera el máximo de 1 MB por archivo" in response.text
    assert "«c.jpg» no se adjuntó: se permiten hasta 2 archivos" in response.text
    assert "a.png" in response.text and "b.gif" in response.text
    assert await store.count_tickets(desk.services.db) == 0
    # Far beyond any limit: refused without reading it all.
    huge = await desk.submit(files=[(f"{i}.pdf", big) for i in range(8)])
    assert huge.status == 413


async def test_unsafe_xml_is_refused(desk: Desk) -> None:
    response = await desk.submit(
        files=[("bomba.xml", samples.BILLION_LAUGHS), ("xxe.xml", samples.XXE)]
    )
    assert response.status == 422
    for name in ("bomba.xml", "xxe.xml"):
        assert f"«{name}» no se adjuntó: el XML contiene entidades o referencias externas" in (
            response.text
        )


async def test_slack_requests_must_be_signed(desk: Desk, fake_slack: FakeSlack) -> None:
    body = block_action("ticket_tomar", "1")
    assert (await desk.slack(body, secret="wrong-secret")).status == 401
    assert (await desk.slack(body, timestamp=str(int(time.time()) - 600))).status == 401
    assert (await desk.slack(body, timestamp="not-a-number")).status == 401
    await asyncio.sleep(0.1)
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_hib2b_command_help_and_show(start_desk, fake_slack: FakeSlack) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), HIB2B_TECHNICIANS="U0TECH1")
    await desk.submit({**GOOD, "usuario": "prov <!here>"})
    help_text = await desk.slack(slash_command("AYUDA"))
    assert help_text.status == 200 and "`ver HD-N`" in json.loads(help_text.text)["text"]
    shown = json.loads((await desk.slack(slash_command("ver hd-1"))).text)
    assert shown["response_type"] == "ephemeral"
    assert "*HD-1*" in shown["text"] and "prov &lt;!here&gt;" in shown["text"]
    missing = json.loads((await desk.slack(slash_command("show 99"))).text)
    assert missing["text"] == "No existe el ticket HD-99."


async def test_healthz(desk: Desk) -> None:
    response = await desk.get("/healthz")
    body = json.loads(response.text)
    assert response.status == 200 and body["status"] == "ok" and body["mode"] == "http"


async def test_outbox_rows_are_written_with_the_ticket(desk: Desk, fake_slack: FakeSlack) -> None:
    fake_slack.fail("*", times=1000, status=503)  # Slack down: nothing can leave yet
    await desk.submit(files=[("factura.pdf", samples.PDF)])
    keys = sorted(d.key for d in await queue.deliveries(desk.services.db))
    assert keys == ["hd-1:card", "hd-1:file:1", "hd-1:mail:creado"]


async def test_expired_form_is_shown_again_with_nothing_lost(start_desk) -> None:
    clock = [datetime.now(UTC)]
    desk = await start_desk(now=lambda: clock[0])
    token = await desk.form_token()
    clock[0] += timedelta(hours=30)  # the tab stayed open overnight
    response = await desk.submit(GOOD, token=token, files=[("factura.pdf", samples.PDF)])
    assert response.status == 422
    assert "El formulario caducó" in response.text
    assert "No puedo entrar al portal desde ayer." in response.text
    assert await store.count_tickets(desk.services.db) == 0
    again = await desk.submit(
        GOOD, token=hidden_fields(response.text)["form_token"], files=[("factura.pdf", samples.PDF)]
    )
    assert again.status == 303
    assert len(await store.attachments_of(desk.services.db, 1)) == 1


async def test_files_of_abandoned_forms_are_deleted(start_desk) -> None:
    clock = [datetime.now(UTC)]
    desk = await start_desk(now=lambda: clock[0])
    response = await desk.submit({**GOOD, "correo": ""}, files=[("captura.png", samples.png())])
    assert response.status == 422
    stored = stored_uploads(desk.settings.data_dir)
    assert len(stored) == 1
    assert await sweep_abandoned_uploads(desk.services.db, desk.settings.data_dir, clock[0]) == 0
    clock[0] += timedelta(days=2)
    assert await sweep_abandoned_uploads(desk.services.db, desk.settings.data_dir, clock[0]) == 1
    assert not stored[0].exists()


async def test_confirmation_links_the_privacy_notice(start_desk, smtp: FakeSmtp) -> None:
    from tests.conftest import smtp_env

    desk = await start_desk(HIB2B_PUBLIC_URL="https://soporte.example.mx", **smtp_env(smtp))
    await desk.submit()
    [mail] = await smtp.wait_for(1)
    assert "Aviso de privacidad: https://soporte.example.mx/privacidad" in _text_of(mail, "plain")
    assert 'href="https://soporte.example.mx/privacidad"' in _text_of(mail, "html")
