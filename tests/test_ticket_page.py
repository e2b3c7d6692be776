"""The supplier's ticket page on the real service: linked (signed) from every email, showing
the status, the promises and the public timeline (never an internal note), and taking a
comment with files that reaches the thread like an emailed reply — resuming a waiting ticket,
counted once when the browser sends it twice, refused with Spanish reasons and nothing lost."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import aiohttp

from tests import cfdi_samples
from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.samples import EXE, PDF

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}


async def said(desk: Desk, line: str) -> str:
    return json.loads((await desk.slack(slash_command(line))).text)["text"]


async def comment(
    desk: Desk, token: str, nonce: str, text: str, files: list[tuple[str, bytes]] = ()
) -> aiohttp.ClientResponse:
    assert desk.http is not None
    form = aiohttp.FormData()
    form.add_field("envio", nonce)
    form.add_field("comentario", text)
    for name, data in files:
        form.add_field("adjuntos", data, filename=name, content_type="application/octet-stream")
    async with desk.http.post(
        desk.url + f"/soporte/ticket?t={token}", data=form, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def test_the_supplier_follows_and_adds_to_their_ticket(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    await desk.submit({**GOOD, "descripcion": "No puedo cargar la factura A-123."})
    confirmation = (await smtp.wait_for(1))[0]
    text = confirmation.get_body(preferencelist=("plain",)).get_content()
    link = urlsplit(re.search(r"https?://\S+/soporte/ticket\?t=\S+", text).group(0))
    token = link.query.removeprefix("t=")
    await said(desk, "tomar 1")
    await said(desk, "nota 1 Interno: el proveedor ya había llamado antes.")
    await said(desk, "responder 1 ¿Nos envía el XML, por favor?")
    await said(desk, "esperar 1 Falta el XML")

    page = await desk.get(f"{link.path}?{link.query}")
    assert page.status == 200 and "Ticket HD-1" in page.text
    assert "Esperando proveedor" in page.text and "en pausa" in page.text
    assert "¿Nos envía el XML, por favor?" in page.text  # the reply's words
    assert "Interno" not in page.text and "U0TECH1" not in page.text  # never a note, never ids
    assert "Enviar comentario" in page.text
    nonce = re.search(r'name="envio" value="([^"]+)"', page.text).group(1)

    bad = await comment(desk, token, nonce, "Aquí va", [("programa.exe", EXE)])
    assert bad.status == 422
    assert "Aquí va" in await _page_text(desk, token, nonce, "Aquí va", [("programa.exe", EXE)])

    files = [("factura.pdf", PDF), ("factura.xml", cfdi_samples.build())]
    sent = await comment(desk, token, nonce, "Va el XML <!channel>.", files)
    assert sent.status == 303 and "agregado=1" in sent.headers["Location"]
    again = await comment(desk, token, nonce, "Va el XML <!channel>.", files)
    assert again.status == 303  # the browser sent it twice: added once
    replies = await fake_slack.wait_for(
        lambda: [m for m in fake_slack.messages if "Respuesta del proveedor" in (m["text"] or "")]
    )
    await desk.drained()
    assert len(replies) == 1
    assert "deja de esperar" in replies[0]["text"]  # a waiting ticket resumes
    assert any(f.get("name") == "factura.pdf" for f in fake_slack.files.values())
    # The invoice was read when stored, as from every other way in.
    rows = await desk.services.db.fetchall(
        "SELECT display_name, cfdi_uuid FROM attachments WHERE ticket = 1 ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        ("factura.pdf", None),
        ("factura.xml", "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"),
    ]
    ticket = await desk.services.db.fetchone("SELECT status FROM tickets WHERE number = 1")
    assert ticket[0] == "asignado"
    after = await desk.get(f"{link.path}?{link.query}&agregado=1")
    assert "Recibimos su comentario" in after.text and "Va el XML &lt;!channel&gt;." in after.text

    # Closed, then the supplier writes again from their page: it reopens, in their words.
    await said(desk, "cerrar 1 acceso Quedó el acceso.")
    page = await desk.get(f"{link.path}?{link.query}")
    nonce = re.search(r'name="envio" value="([^"]+)"', page.text).group(1)
    assert (await comment(desk, token, nonce, "Otra vez falla el XML.")).status == 303
    page = await desk.get(f"{link.path}?{link.query}")
    assert "Usted escribió y su ticket se reabrió." in page.text
    assert "Otra vez falla el XML." in page.text

    forged = await desk.get("/soporte/ticket?t=1.1800000000.AAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert forged.status == 404 and "no es válido" in forged.text
    empty = await comment(desk, token, "otro", "   ")
    assert empty.status == 422
    no_token = await comment(desk, "", "otro", "algo")
    assert no_token.status == 404  # refused before its body is read
    assert "no-store" in (await desk.get(f"{link.path}?{link.query}")).headers["Cache-Control"]


async def _page_text(
    desk: Desk, token: str, nonce: str, text: str, files: list[tuple[str, bytes]]
) -> str:
    assert desk.http is not None
    form = aiohttp.FormData()
    form.add_field("envio", nonce)
    form.add_field("comentario", text)
    for name, data in files:
        form.add_field("adjuntos", data, filename=name, content_type="application/octet-stream")
    async with desk.http.post(desk.url + f"/soporte/ticket?t={token}", data=form) as response:
        body = await response.text()
    assert "no se puede adjuntar" in body  # said in Spanish, and what was typed is kept
    return body
