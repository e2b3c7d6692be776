"""Bodies meant to stall or flood the service: thousands of parts, a client that stops sending,
files piling up for forms never sent. Each is refused early, in Spanish, with nothing written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from bot.cases import clients
from bot.cases.team import OPERATOR
from bot.config import MIB
from tests import samples
from tests.desk import GOOD, Desk, stored_uploads

BOUNDARY = "hib2b-prueba"


def _multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> bytes:
    """A multipart body built by hand, so a test can send shapes no browser would."""
    out = bytearray()
    for name, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for filename, data in files:
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="adjuntos"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    return bytes(out + f"--{BOUNDARY}--\r\n".encode())


async def _post_raw(desk: Desk, body: bytes, path: str = "/soporte") -> tuple[int, str]:
    assert desk.http is not None
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with desk.http.post(desk.url + path, data=body, headers=headers) as response:
        return response.status, await response.text()


def _stored(desk: Desk) -> list[Path]:
    return stored_uploads(desk.settings.data_dir)


async def test_a_thousand_identical_parts_are_refused_before_anything_is_written(
    start_desk,
) -> None:
    desk = await start_desk()
    token = await desk.form_token()
    body = _multipart({**GOOD, "form_token": token}, [("a.txt", b"a")] * 1000)
    status, page = await _post_raw(desk, body)
    assert status == 413 and "demasiadas partes" in page
    assert _stored(desk) == []
    empty = _multipart({"form_token": token}, [("", b"")] * 20_000)
    status, page = await _post_raw(desk, empty)
    assert status == 413 and "demasiadas partes" in page
    # The desk goes on serving suppliers as usual.
    assert (await desk.submit()).status == 303


async def test_the_same_file_twice_is_kept_once_and_written_once(start_desk) -> None:
    desk = await start_desk()
    fields = {k: v for k, v in GOOD.items() if k != "descripcion"}  # shown again: 422
    response = await desk.submit(
        fields=fields, files=[("factura.pdf", samples.PDF), ("copia.pdf", samples.PDF)]
    )
    assert response.status == 422 and response.text.count("factura.pdf") == 1
    assert "copia.pdf" not in response.text
    assert len(_stored(desk)) == 1


async def test_the_api_refuses_too_many_parts_as_json(start_desk) -> None:
    desk = await start_desk()
    await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    body = _multipart(GOOD, [(f"{n}.txt", b"x") for n in range(60)])
    assert desk.http is not None
    for authorization, status in (("Bearer nadie", 401), (f"Bearer {key}", 413)):
        async with desk.http.post(
            desk.url + "/api/v1/tickets",
            data=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Authorization": authorization,
            },
        ) as response:
            answer = await response.json()
        assert response.status == status
    assert answer["error"]["code"] == "too_many_parts"
    assert _stored(desk) == []


async def test_a_body_that_stalls_is_answered_408_and_dropped(start_desk) -> None:
    desk = await start_desk(HIB2B_BODY_TIMEOUT="0.5s")
    port = int(desk.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    start = _multipart(GOOD, [("factura.pdf", samples.PDF)])
    writer.write(
        (
            "POST /soporte HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(start) + 10_000}\r\n\r\n"
        ).encode()
        + start[:200]
    )
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read(65536)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert "No recibimos su envío completo a tiempo" in answer.decode()


async def test_files_of_unsent_forms_are_capped_per_address(start_desk) -> None:
    desk = await start_desk(HIB2B_PENDING_UPLOADS_ADDRESS_MB="1")
    incomplete = {k: v for k, v in GOOD.items() if k != "descripcion"}
    first = await desk.submit(fields=incomplete, files=[("a.pdf", samples.big_pdf(700 * 1024))])
    assert first.status == 422 and "a.pdf" in first.text
    second = await desk.submit(fields=incomplete, files=[("b.pdf", samples.big_pdf(600 * 1024))])
    assert second.status == 503 and "Espere unos minutos" in second.text
    assert second.headers["Retry-After"] == "120"
    assert len(_stored(desk)) == 1  # nothing of the second form was written
    # A form without files still goes through: the quota is about stored files only.
    assert (await desk.submit()).status == 303
    assert desk.settings.pending_uploads_per_address_bytes == MIB


async def test_a_broken_multipart_body_is_a_400_not_a_traceback(start_desk) -> None:
    desk = await start_desk()
    assert desk.http is not None
    async with desk.http.post(
        desk.url + "/soporte",
        data=b"no es multipart",
        headers={"Content-Type": "multipart/form-data"},  # no boundary
    ) as response:
        assert response.status == 400


async def test_hostile_bodies_are_refused_while_a_supplier_submits_at_the_same_time(
    start_desk,
) -> None:
    desk = await start_desk()
    token = await desk.form_token()
    flood = _multipart({"form_token": token}, [("", b"")] * 20_000)

    async def one_flood() -> int:
        async with aiohttp.ClientSession() as http:
            headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
            async with http.post(desk.url + "/soporte", data=flood, headers=headers) as answer:
                return answer.status

    statuses = await asyncio.gather(*(one_flood() for _ in range(5)), desk.submit())
    assert statuses[:5] == [413] * 5 and statuses[5].status == 303


DANGEROUS = [
    ("arreglo.bat", b"@echo off\r\ndel C:\\*.*"),
    ("script.ps1", b"Remove-Item -Recurse C:\\"),
    ("factura.js", b"WScript.CreateObject('WScript.Shell').Run('calc')"),
    ("app.hta", b"<html><script>x()</script></html>"),
    ("pagina.html", b"<html><body>hola</body></html>"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'),
    ("factura.pdf", b"<html><body>HTML con nombre de PDF</body></html>"),
    ("estado.pdf", b"Texto plano con nombre de PDF"),
]


async def test_dangerous_files_never_reach_the_ticket_by_the_form_or_the_api(start_desk) -> None:
    desk = await start_desk()
    incomplete = {k: v for k, v in GOOD.items() if k != "descripcion"}
    shown = await desk.submit(fields=incomplete, files=DANGEROUS)
    assert shown.status == 422
    for name, _ in DANGEROUS:
        assert f"«{name}» no se adjuntó" in shown.text
    assert _stored(desk) == []
    await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    assert desk.http is not None
    async with desk.http.post(
        desk.url + "/api/v1/tickets",
        data=_multipart(GOOD, DANGEROUS),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Authorization": f"Bearer {key}",
        },
    ) as response:
        answer = await response.json()
    assert response.status == 422 and "arreglo.bat" in answer["error"]["fields"]["adjuntos"]
    assert _stored(desk) == [] and await desk.services.db.fetchall("SELECT * FROM tickets") == []
