"""The portal's API, checked against its own OpenAPI document: every documented response is
exercised and its body validated against the documented schema."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_spec

from bot.cases import clients
from bot.cases.team import OPERATOR
from store import tickets as store
from tests import cfdi_samples, samples
from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, stored_uploads
from tests.fakes.smtp import FakeSmtp

SPEC = json.loads((Path(__file__).parent.parent / "handlers/static/openapi.json").read_text())
SEEN: set[tuple[str, int]] = set()


def check(status: int, body: dict) -> None:
    """The body matches the schema documented for this status."""
    responses = SPEC["paths"]["/api/v1/tickets"]["post"]["responses"]
    assert str(status) in responses, f"undocumented status {status}"
    response = responses[str(status)]
    if "$ref" in response:
        response = SPEC["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = response["content"]["application/json"]["schema"]
    jsonschema.validate(
        body,
        {**schema, "components": SPEC["components"]},
        format_checker=jsonschema.FormatChecker(),
    )
    SEEN.add(("post", status))


@pytest.fixture
async def api(start_desk, smtp: FakeSmtp) -> tuple[Desk, str]:
    desk = await start_desk(**smtp_env(smtp))
    await clients.add(
        desk.services.db, OPERATOR, "acme", "Acme", ["acme.portalhib2b.com"], desk.services.now()
    )
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    return desk, key


async def post(
    desk: Desk,
    key: str | None,
    *,
    json_body: object = None,
    data: object = None,
    headers: dict | None = None,
) -> tuple[int, dict]:
    assert desk.http is not None
    sent = dict(headers or {})
    if key:
        sent["Authorization"] = f"Bearer {key}"
    async with desk.http.post(
        desk.url + "/api/v1/tickets", json=json_body, data=data, headers=sent
    ) as response:
        body = await response.json()
        check(response.status, body)
        return response.status, body


def test_the_document_is_valid_openapi() -> None:
    validate_spec(SPEC)


async def test_served_document_is_the_file(api) -> None:
    desk, _ = api
    served = await desk.get("/api/v1/openapi.json")
    assert json.loads(served.text) == SPEC


async def test_create_with_json(api, smtp: FakeSmtp) -> None:
    desk, key = api
    status, body = await post(desk, key, json_body=GOOD)
    assert status == 201 and body["ticket"] == "HD-1" and body["nuevo"] is True
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and (ticket.source, ticket.client) == ("portal", "acme")
    [mail] = await smtp.wait_for(1)
    assert mail["Subject"].startswith("[HD-1]")


async def test_create_with_files(api) -> None:
    desk, key = api
    form = aiohttp.FormData()
    for name, value in GOOD.items():
        form.add_field(name, value)
    form.add_field("adjuntos", samples.CFDI, filename="factura.xml")
    form.add_field("adjuntos", cfdi_samples.build(), filename="timbrada.xml")
    status, body = await post(desk, key, data=form)
    assert status == 201
    plain, stamped = await store.attachments_of(desk.services.db, body["numero"])
    assert plain.display_name == "factura.xml"
    # A sealed and stamped CFDI is read when stored, like one sent by the form.
    assert stamped.cfdi_uuid == "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
    bad = aiohttp.FormData()
    for name, value in GOOD.items():
        bad.add_field(name, value)
    bad.add_field("adjuntos", samples.EXE, filename="virus.pdf")
    status, body = await post(desk, key, data=bad)
    assert status == 422 and "virus.pdf" in body["error"]["fields"]["adjuntos"]


async def test_refusals(api) -> None:
    desk, key = api
    assert (await post(desk, None, json_body=GOOD))[0] == 401
    assert (await post(desk, "hib2b_wrong", json_body=GOOD))[0] == 401
    status, body = await post(
        desk, key, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (status, body["error"]["code"]) == (400, "bad_request")
    status, body = await post(
        desk, key, data=b"descripcion=x", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    status, body = await post(desk, key, json_body={**GOOD, "correo": "no", "tipo": "otro"})
    assert status == 422 and set(body["error"]["fields"]) == {"correo", "tipo"}
    status, body = await post(desk, key, json_body={**GOOD, "descripcion": "x" * 300_000})
    assert (status, body["error"]["code"]) == (413, "too_large")
    assert await store.count_tickets(desk.services.db) == 0


async def test_revoked_key_is_refused(api) -> None:
    desk, key = api
    await clients.revoke_api_key(desk.services.db, OPERATOR, 1, desk.services.now())
    assert (await post(desk, key, json_body=GOOD))[0] == 401


async def test_idempotency_key(api) -> None:
    desk, key = api
    headers = {"Idempotency-Key": "pedido-4711"}
    first, second = await asyncio.gather(
        post(desk, key, json_body=GOOD, headers=headers),
        post(desk, key, json_body=GOOD, headers=headers),
    )
    assert first[1]["numero"] == second[1]["numero"] == 1
    replay = await post(desk, key, json_body=GOOD, headers=headers)
    assert replay == (201, {**first[1], "nuevo": False})
    status, body = await post(desk, key, json_body={**GOOD, "usuario": "otro"}, headers=headers)
    assert (status, body["error"]["code"]) == (422, "idempotency_key_reused")
    assert await store.count_tickets(desk.services.db) == 1


async def test_one_key_sent_concurrently_with_different_bodies_makes_one_ticket(
    api: tuple[Desk, str],
) -> None:
    desk, key = api
    headers = {"Idempotency-Key": "pedido-77"}

    def body(n: int) -> aiohttp.FormData:
        form = aiohttp.FormData()
        for name, value in {**GOOD, "descripcion": f"Reporte {n % 2}"}.items():
            form.add_field(name, value)
        form.add_field("adjuntos", f"archivo {n}".encode(), filename=f"nota-{n}.txt")
        return form

    answers = await asyncio.gather(
        *(post(desk, key, data=body(n), headers=headers) for n in range(20))
    )
    created = [b for status, b in answers if status == 201 and b["nuevo"]]
    assert len(created) == 1
    number = created[0]["numero"]
    for status, answer in answers:
        assert (status == 201 and answer["numero"] == number) or (
            status == 422 and answer["error"]["code"] == "idempotency_key_reused"
        )
    assert await store.count_tickets(desk.services.db) == 1
    [attached] = await store.attachments_of(desk.services.db, number)  # its own file only
    assert attached.display_name.startswith("nota-")
    pending = await desk.services.db.fetchall("SELECT * FROM form_uploads")
    stored = stored_uploads(desk.settings.data_dir)
    assert pending == [] and len(stored) == 1  # nothing orphaned


async def test_a_stalled_body_is_408_and_a_full_desk_is_503(start_desk) -> None:
    desk = await start_desk(HIB2B_BODY_TIMEOUT="0.5s", HIB2B_PENDING_UPLOADS_ADDRESS_MB="1")
    await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    form = aiohttp.FormData()
    for name, value in GOOD.items():
        form.add_field(name, value)
    form.add_field("adjuntos", samples.big_pdf(1200 * 1024), filename="grande.pdf")
    status, body = await post(desk, key, data=form)
    assert (status, body["error"]["code"]) == (503, "unavailable")
    assert await store.count_tickets(desk.services.db) == 0

    port = int(desk.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            'Content-Length: 500\r\n\r\n{"descripcion": "No pue'
        ).encode()
    )
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read(65536)
    writer.close()
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    check(408, json.loads(payload))


def test_every_documented_response_was_exercised() -> None:
    documented = {
        ("post", int(code)) for code in SPEC["paths"]["/api/v1/tickets"]["post"]["responses"]
    }
    assert documented <= SEEN, f"not exercised: {sorted(documented - SEEN)}"
