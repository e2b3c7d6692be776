"""Invoices on the real service: a CFDI sent by the form, by email or through the ticket page
is read once when stored; the card shows its «CFDI» section and one line per problem, the
confirmation email says the same lines, `/hib2b ver` and `buscar` find it, and a second
ticket with the same invoice is marked «Posible duplicado» with a one-click close."""

from __future__ import annotations

import json
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from bot.cases import clients
from bot.cases.team import OPERATOR
from store import tickets as store
from tests import cfdi_samples as cfdi
from tests.conftest import smtp_env
from tests.desk import (
    GOOD,
    Desk,
    assert_within_block_kit,
    block_action,
    formatted_texts,
    literal_texts,
    slack_env,
    slash_command,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

MX = ZoneInfo("America/Mexico_City")
MONDAY = datetime(2026, 11, 30, 17, 0, tzinfo=MX)  # the samples are stamped that morning
TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
GOOD_UUID = "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
ALTERED_UUID = "7A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"


@pytest.fixture
async def desk(start_desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> Desk:
    desk = await start_desk(
        now=lambda: MONDAY, **slack_env(fake_slack.url), **smtp_env(smtp), **TEAM
    )
    await clients.add(
        desk.services.db,
        OPERATOR,
        "acme",
        "Acme S.A. de C.V.",
        ["acme.portalhib2b.com"],
        MONDAY,
        rfc_words=[cfdi.RECEIVER_RFC],
    )
    return desk


def card_blocks(fake: FakeSlack, number: int) -> list[dict]:
    """The card as the channel shows it now: as posted, or as its latest edit left it."""
    card = next(
        m
        for m in fake.cards()
        if (m.get("metadata") or {}).get("event_payload", {}).get("ticket") == number
    )
    edits = [call for call in fake.calls_to("chat.update") if call.args.get("ts") == card["ts"]]
    blocks = edits[-1].args["blocks"] if edits else card["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def card_text(fake: FakeSlack, number: int) -> str:
    """Everything the card says: its mrkdwn and its literal (rich) text."""
    blocks = card_blocks(fake, number)
    return "\n".join([*formatted_texts(blocks), *literal_texts(blocks)])


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> dict:
    return json.loads((await desk.slack(slash_command(line, user))).text)


async def test_the_form_invoice_on_card_email_ver_and_search(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    altered = cfdi.mutate(cfdi.build(cfdi.Invoice(uuid=ALTERED_UUID)), Total="999.00")
    response = await desk.submit(
        path="/soporte/acme",
        files=[("factura.xml", cfdi.build()), ("reenviada.xml", altered)],
    )
    assert response.status == 303
    [confirmation] = await smtp.wait_for(1)
    text = " ".join(confirmation.get_body(preferencelist=("plain",)).get_content().split())
    assert (
        "Revisamos los XML (CFDI) que adjuntó y encontramos lo siguiente: - «reenviada.xml»: "
        "El sello no corresponde al contenido" in text
    )
    assert "«factura.xml»" not in text  # the good one has nothing to say
    html = confirmation.get_body(preferencelist=("html",)).get_content()
    assert "<li>«reenviada.xml»: El sello no corresponde al contenido" in html

    await fake_slack.wait_for(lambda: fake_slack.cards())
    assert_within_block_kit(card_blocks(fake_slack, 1))
    shown = card_text(fake_slack, 1)
    assert (
        "CFDI «factura.xml»\nVersión: 4.0 · Ingreso\nUUID: 6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D\n"
        f"Emisor: EKU9003173C9 · ESCUELA KEMPER URGATE\n"
        f"Receptor: {cfdi.RECEIVER_RFC} · {cfdi.RECEIVER_NAME}\n"
        "Total: $1,160.00 MXN · timbrado 30/11/2026 10:01\n"
        "✅ Sello del emisor, esquema y RFC del receptor correctos"
    ) in shown
    assert "CFDI «reenviada.xml»" in shown and "Total: $999.00 MXN" in shown
    assert "⚠️ El sello no corresponde al contenido" in shown
    assert "Posible duplicado" not in shown

    seen = await said(desk, "ver HD-1")
    assert "⚠️ El sello no corresponde" in json.dumps(seen["blocks"], ensure_ascii=False)
    found = await said(desk, f"buscar {GOOD_UUID.lower()}")
    assert "HD-1" in found["text"]

    # The client's RFCs changed: the card, redrawn, checks against the new ones.
    assert "Solo un líder" in (await said(desk, "cliente rfc acme IIA040805DZ4"))["text"]
    refused = await said(desk, "cliente rfc acme IIA040805DZ5", user="U0LEAD")
    assert refused["text"] == (
        "El dígito verificador de IIA040805DZ5 no corresponde: revíselo (si es correcto así, "
        "agregue `forzar`)."
    )
    changed = await said(desk, "cliente rfc acme iia040805dz4", user="U0LEAD")
    assert changed["text"].startswith("RFC de `acme`: IIA040805DZ4.")
    assert "RFC: IIA040805DZ4" in (await said(desk, "cliente ver acme", user="U0LEAD"))["text"]
    seen = json.dumps((await said(desk, "ver HD-1"))["blocks"], ensure_ascii=False)
    assert f"emitida al RFC {cfdi.RECEIVER_RFC}, que no es el RFC de Acme" in seen


async def test_the_same_invoice_again_is_a_possible_duplicate_closed_in_one_click(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    invoice = cfdi.build()
    await desk.submit(path="/soporte/acme", files=[("factura.xml", invoice)])
    # The same supplier sends the same invoice again, about another incident type: same UUID.
    await desk.submit(
        {**GOOD, "tipo": "error_cargar_factura"},
        path="/soporte/acme",
        files=[("copia.xml", invoice)],
    )
    # A colleague, from another address, sends it too: a hint, but no one-click close.
    await desk.submit(
        {**GOOD, "correo": "cuentas@proveedora.mx"},
        path="/soporte/acme",
        files=[("otra-copia.xml", invoice)],
    )
    # The first supplier writes again about the first thing, without files: address and type.
    await desk.submit(path="/soporte/acme")
    await smtp.wait_for(4)
    await desk.drained()
    rows = await desk.services.db.fetchall("SELECT number, duplicate_hint FROM tickets")
    assert [tuple(row) for row in rows] == [(1, None), (2, 1), (3, 1), (4, 1)]
    [hint] = [b for b in card_blocks(fake_slack, 2) if b.get("block_id") == "duplicado:2"]
    assert "*Posible duplicado de HD-1*" in hint["text"]["text"]
    assert hint["accessory"]["text"]["text"] == "Cerrar como duplicado"
    assert hint["accessory"]["value"] == "2:1" and "confirm" in hint["accessory"]
    other = card_text(fake_slack, 3)
    assert "*Posible duplicado de HD-1*, de otro correo" in other
    assert all("accessory" not in b for b in card_blocks(fake_slack, 3))
    seen = await said(desk, "ver HD-2")  # the answer shows the hint, never its button
    assert "Posible duplicado" in json.dumps(seen["blocks"], ensure_ascii=False)
    assert all("accessory" not in block for block in seen["blocks"])

    clicked = block_action("ticket_duplicado", "2:1", block_id="duplicado:2")
    assert (await desk.slack(clicked)).status == 200
    await desk.until(lambda: len(smtp.messages) == 5)
    await desk.drained()
    row = await desk.services.db.fetchone(
        "SELECT status, close_kind, duplicate_of FROM tickets WHERE number = 2"
    )
    assert tuple(row) == ("cerrado", "duplicado", 1)
    closing = smtp.messages[-1]
    assert closing["To"].addresses[0].addr_spec == GOOD["correo"]
    assert str(closing["Subject"]).endswith("[HD-2] Su solicitud se atiende en HD-1")
    await fake_slack.wait_for(lambda: "Posible duplicado" not in card_text(fake_slack, 2))
    assert "(Duplicado de HD-1)" in card_text(fake_slack, 2)

    # The original closes: a button drawn before can no longer close HD-4 into it.
    assert (await said(desk, "cerrar HD-1 spam"))["text"].startswith("HD-1 cerrado.")
    stale = block_action("ticket_duplicado", "4:1", block_id="duplicado:4")
    assert (await desk.slack(stale)).status == 200
    await fake_slack.wait_for(
        lambda: any(
            "HD-1 ya se cerró" in c.args.get("text", "")
            for c in fake_slack.calls_to("chat.postEphemeral")
        )
    )
    row = await desk.services.db.fetchone("SELECT status FROM tickets WHERE number = 4")
    assert row[0] != "cerrado"


async def test_invoices_by_email_and_by_the_ticket_page_are_read_too(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    mail = EmailMessage()
    mail["From"] = "Contabilidad <conta@proveedora.mx>"
    mail["To"] = "soporte@hib2b.test"
    mail["Subject"] = "No puedo cargar mi factura"
    mail["Message-ID"] = "<cfdi.1@proveedora.mx>"
    mail.set_content("El portal rechaza la factura adjunta.")
    old = cfdi.build(cfdi.Invoice(version="3.3", uuid="0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"))
    mail.add_attachment(old, maintype="application", subtype="xml", filename="vieja.xml")
    assert await desk.services.desk.receive_mail(mail.as_bytes()) == "nuevo"
    await desk.drained()
    [attachment] = await store.attachments_of(desk.services.db, 1)
    assert attachment.cfdi_uuid == "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
    assert "⚠️ Es un CFDI 3.3" in card_text(fake_slack, 1)
    confirmation = (await smtp.wait_for(1))[0].get_body(preferencelist=("plain",)).get_content()
    assert "«vieja.xml»: Es un CFDI 3.3" in " ".join(confirmation.split())
    # Someone else reports the reissued invoice by the form first (HD-2)…
    await desk.submit(path="/soporte/acme", files=[("factura.xml", cfdi.build())])
    # …then the supplier answers with it: read too, the card redrawn with it, and marked as
    # a possible duplicate of HD-2 (another address: no one-click close).
    reply = EmailMessage()
    reply["From"] = "conta@proveedora.mx"
    reply["Subject"] = "Re: [HD-1] Ticket generado"
    reply["Message-ID"] = "<cfdi.2@proveedora.mx>"
    reply["In-Reply-To"] = (await smtp.wait_for(1))[0]["Message-ID"]
    reply.set_content("Va la factura en versión 4.0.")
    reply.add_attachment(cfdi.build(), maintype="application", subtype="xml", filename="nueva.xml")
    assert await desk.services.desk.receive_mail(reply.as_bytes()) == "respuesta"
    await fake_slack.wait_for(lambda: "«nueva.xml»" in card_text(fake_slack, 1))
    await fake_slack.wait_for(lambda: "Posible duplicado de HD-2" in card_text(fake_slack, 1))
    shown = card_text(fake_slack, 1)
    assert "⚠️ Es un CFDI 3.3" in shown
    # From an unknown client (triage): nothing to compare the receiver with, and it says so.
    assert "✅ Sello del emisor y esquema correctos (sin RFC del cliente para revisar" in shown


async def test_an_emailed_invoices_age_counts_from_when_it_was_sent(
    desk: Desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    """Stamped Friday at noon; emailed Saturday morning (21 h later), read only on Monday at
    17:00 (77 h): the mailbox was slow, the supplier was not. By the form on Monday it is old."""
    stamped = cfdi.build(cfdi.Invoice(stamped=datetime(2026, 11, 27, 12, 0)))
    mail = EmailMessage()
    mail["From"] = "conta@proveedora.mx"
    mail["Subject"] = "Factura rechazada"
    mail["Message-ID"] = "<cfdi.age@proveedora.mx>"
    mail["Date"] = "Sat, 28 Nov 2026 09:00:00 -0600"
    mail.set_content("Adjunto la factura.")
    mail.add_attachment(stamped, maintype="application", subtype="xml", filename="sabado.xml")
    assert await desk.services.desk.receive_mail(mail.as_bytes()) == "nuevo"
    await desk.submit(path="/soporte/acme", files=[("lunes.xml", stamped)])
    await desk.drained()
    by_mail, by_form = card_text(fake_slack, 1), card_text(fake_slack, 2)
    assert "hace más de 72 horas" not in by_mail and "✅ Sello del emisor" in by_mail
    assert "⚠️ La factura se timbró el 27/11/2026 12:00 (hora del centro de México)" in by_form
