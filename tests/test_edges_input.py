"""Bad input of every kind gets a 4xx with a short answer, never a 5xx: broken multipart, NUL in
names, unknown charsets, odd digits, lone surrogates, deep JSON, forged Slack timestamps. And
the exposures found by trying: Slack readers outside the team, second recipients by name,
accented domains."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from email.utils import getaddresses
from urllib.parse import quote

import pytest

from bot.cases import clients
from bot.cases.team import OPERATOR
from tests.conftest import smtp_env
from tests.desk import (
    GOOD,
    Desk,
    assert_within_block_kit,
    formatted_texts,
    hidden_fields,
    literal_texts,
    slack_env,
    slash_command,
)
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

BOUNDARY = "b0undary"


def _part(headers: str, body: bytes) -> bytes:
    return f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + body + b"\r\n"


async def _raw(desk: Desk, path: str, body: bytes, content_type: str, **headers: str):
    assert desk.http is not None
    async with desk.http.post(
        desk.url + path,
        data=body,
        headers={"Content-Type": content_type, **headers},
        allow_redirects=False,
    ) as response:
        return response.status, await response.text()


@pytest.fixture
async def open_desk(start_desk) -> Desk:
    return await start_desk()


async def test_broken_form_bodies_are_4xx(open_desk: Desk) -> None:
    desk = open_desk
    token = await desk.form_token()
    fields = b"".join(
        _part(f'Content-Disposition: form-data; name="{k}"', v.encode())
        for k, v in {**GOOD, "form_token": token}.items()
    )
    multipart = f"multipart/form-data; boundary={BOUNDARY}"
    cases = {
        "no boundary": (b"hola", "multipart/form-data"),
        "no closing delimiter": (fields + b"--" + BOUNDARY.encode(), multipart),
        "garbage": (b"\x00\xff" * 500, multipart),
        "NUL in a file name": (
            fields
            + _part(
                'Content-Disposition: form-data; name="adjuntos"; filename="fac\x00tura.pdf"',
                b"%PDF-1.4\n%%EOF\n",
            )
            + f"--{BOUNDARY}--\r\n".encode(),
            multipart,
        ),
        "unknown charset in a part": (
            fields
            + _part(
                'Content-Disposition: form-data; name="usuario"\r\n'
                "Content-Type: text/plain; charset=x-no-existe",
                b"xime",
            )
            + f"--{BOUNDARY}--\r\n".encode(),
            multipart,
        ),
        "RFC 2231 name in an unknown charset": (
            fields
            + _part(
                'Content-Disposition: form-data; name="adjuntos"; '
                "filename*=x-no-existe''fac%FFtura.pdf",
                b"%PDF-1.4\n%%EOF\n",
            )
            + f"--{BOUNDARY}--\r\n".encode(),
            multipart,
        ),
        "unknown charset urlencoded": (
            b"descripcion=hola&usuario=x",
            "application/x-www-form-urlencoded; charset=x-no-existe",
        ),
        "superscript digits to remove": (
            f"form_token={token}&quitar=%C2%B2&descripcion=x".encode(),
            "application/x-www-form-urlencoded",
        ),
        "lone surrogate escaped": (
            f"form_token={token}&descripcion=%ED%A0%80&usuario=x".encode(),
            "application/x-www-form-urlencoded",
        ),
    }
    for name, (body, content_type) in cases.items():
        status, text = await _raw(desk, "/soporte", body, content_type)
        assert 400 <= status < 500 or status == 303, (name, status, text[:200])
        assert "Traceback" not in text, name
    # The NUL-named PDF, if kept, is shown with a clean name.
    assert all("\x00" not in p.name for p in (desk.settings.data_dir / "uploads").glob("*"))


async def test_broken_api_bodies_are_4xx_json(open_desk: Desk) -> None:
    desk = open_desk
    await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    auth = {"Authorization": f"Bearer {key}"}
    deep = b"[" * 10_000 + b"]" * 10_000
    cases = {
        "deep JSON": deep,
        "deep object": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
        "lone surrogate": json.dumps({**GOOD, "descripcion": "\ud800 hola"}).encode(),
        "not UTF-8": b'{"descripcion": "\xff\xfe"}',
        "numbers, not text": b'{"descripcion": 1e999}',
        "NaN": b'{"descripcion": NaN}',
    }
    for name, body in cases.items():
        status, text = await _raw(desk, "/api/v1/tickets", body, "application/json", **auth)
        assert 400 <= status < 500 or status == 201, (name, status, text[:200])
        assert json.loads(text), name
    stored = await desk.services.db.fetchall("SELECT descripcion FROM tickets")
    assert all("\ud800" not in row[0] for row in stored)


async def test_forged_slack_timestamps_are_refused_not_crashed(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url))
    for stamp in ("²³", "1" * 400, "", "-5", "12.5", "١٢٣"):
        response = await desk.slack(slash_command("ayuda"), timestamp=stamp)
        assert response.status == 401, (stamp, response.status)


async def test_only_the_team_reads_tickets_in_slack(start_desk, fake_slack: FakeSlack) -> None:
    team = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
    desk = await start_desk(**slack_env(fake_slack.url), **team)
    await desk.submit()
    for line in ("ver hd-1", "lista", "lista abiertos", "sla", "sla hd-1"):
        answer = json.loads((await desk.slack(slash_command(line, user="U0OUTSIDER"))).text)
        assert answer["text"] == "Solo el equipo de soporte puede ver los tickets.", line
        assert "xime" not in json.dumps(answer)
    shown = json.loads((await desk.slack(slash_command("ver hd-1", user="U0TECH1"))).text)
    assert "xime@example.com" in shown["text"]
    assert GOOD["descripcion"] in literal_texts(shown["blocks"])  # shown as typed, never formatted
    refused = json.loads((await desk.slack(slash_command("sla publicar", user="U0TECH1"))).text)
    assert refused["text"] == "Publicar el estado del SLA en el canal es para los líderes."
    assert not any(
        call.args.get("channel") == "C0SUPPORT" and "SLA de la mesa" in str(call.args)
        for call in fake_slack.calls_to("chat.postMessage")
    )


@pytest.mark.parametrize(
    "usuario",
    [
        "a" * 70 + " <facturas@evil.example>, otra@evil.example",
        "Comercializadora del Norte, S.A. de C.V., " * 5,
        'José "Pepe" Núñez <pepe@evil.example>, Ñandú; @x:y ' * 4,
        '\\"<x@evil.example>\\ ,',
    ],
)
async def test_every_email_has_exactly_one_recipient(
    start_desk, smtp: FakeSmtp, usuario: str
) -> None:
    desk = await start_desk(**smtp_env(smtp))
    assert (await desk.submit({**GOOD, "usuario": usuario[:200]})).status == 303
    [mail] = await smtp.wait_for(1)
    assert smtp.inbox.envelopes[-1][1] == ["xime@example.com"]
    raw = mail.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["xime@example.com"]
    assert [addr for _, addr in getaddresses([str(parsed["To"])])] == ["xime@example.com"]


async def test_an_accented_domain_is_delivered_and_an_accented_name_refused(
    start_desk, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**smtp_env(smtp))
    assert (await desk.submit({**GOOD, "correo": "ana@compañía.mx"})).status == 303
    await smtp.wait_for(1)
    assert smtp.inbox.envelopes[-1][1] == ["ana@xn--compaa-7va5a.mx"]
    refused = await desk.submit({**GOOD, "correo": "josé@compañía.mx"})
    assert refused.status == 422 and "sin acentos" in refused.text


async def test_any_description_reaches_slack_within_limits_and_never_formats(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    ampersands = "&" * 600 + " *Estado:* Cerrado _x_ ~y~ `z` <!here>"
    invisible = "fac\u200btura\u202e fdp.exe\u2066 ok\ufeff"
    worst = ("&<>" * 3_333)[:10_000]
    for text in (ampersands, invisible, worst):
        assert (await desk.submit({**GOOD, "descripcion": text})).status == 303
    cards = await fake_slack.wait_for(
        lambda: fake_slack.cards() if len(fake_slack.cards()) == 3 else None
    )
    for card in cards:
        assert_within_block_kit(card["blocks"])
        formatted = "".join(formatted_texts(card["blocks"]))
        assert "*Estado:* Cerrado" not in formatted and "<!here>" not in formatted
    assert ampersands in literal_texts(cards[0]["blocks"])
    assert "factura fdp.exe ok" in literal_texts(cards[1]["blocks"])
    replies = await fake_slack.wait_for(lambda: fake_slack.replies(cards[2]["ts"]))
    assert_within_block_kit(replies[0]["blocks"])
    assert "".join(literal_texts(replies[0]["blocks"])).replace("\n", "") == worst


async def _status_of_raw(desk: Desk, head: bytes, body: bytes = b"") -> int:
    """Send bytes no HTTP library would (non-ASCII headers); the answer's status."""
    port = int(desk.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read(200)
    writer.close()
    return int(answer.split(b" ", 2)[1])


async def test_non_ascii_in_tokens_keys_and_headers_is_refused_not_crashed(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), HIB2B_TRUSTED_PROXIES="127.0.0.1/32")
    assert (await desk.get("/soporte/gracias?t=a.1.%C3%A9")).status == 404
    assert (await desk.get("/estado", headers={"Authorization": "Bearer a.1.é"})).status == 401
    forged = await desk.submit(token="x.1700000000.ñ")
    assert forged.status == 403
    api = b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    assert await _status_of_raw(desk, api + b"Authorization: Bearer \xff\xfe\r\n", b"{}") == 401
    await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
    key = await clients.issue_api_key(desk.services.db, OPERATOR, "acme", desk.services.now())
    keyed = api + f"Authorization: Bearer {key}\r\n".encode()
    assert await _status_of_raw(desk, keyed + b"Idempotency-Key: \xed\xa0\x80\r\n", b"{}") == 400
    slack = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nX-Slack-Request-Timestamp: 1\r\n"
    assert await _status_of_raw(desk, slack + b"X-Slack-Signature: v0=\xc3\xa9\r\n", b"a") == 401
    assert await _status_of_raw(desk, slack + b"X-Slack-Signature: v0=ab\r\n", b"\xff") == 400
    page = await desk.get("/soporte")
    token = hidden_fields(page.text)["form_token"]
    form = "&".join(f"{k}={quote(v)}" for k, v in {**GOOD, "form_token": token}.items())
    proxied = (
        b"POST /soporte HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \xff, 10.0.0.\xc3\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
    )
    assert await _status_of_raw(desk, proxied, form.encode()) == 303


async def test_pages_answer_errors_in_spanish_and_machines_keep_theirs(desk: Desk) -> None:
    missing = await desk.get("/ayuda/no-existe")
    assert missing.status == 404 and "text/html" in missing.headers["Content-Type"]
    assert "Página no encontrada" in missing.text and 'href="/soporte"' in missing.text
    assert "Not Found" not in missing.text
    assert desk.http is not None
    async with desk.http.post(desk.url + "/privacidad") as wrong:
        assert wrong.status == 405 and "Acción no disponible" in await wrong.text()
        assert "GET" in wrong.headers["Allow"]
    api = await desk.get("/api/v1/no-existe")
    assert api.status == 404 and "Página no encontrada" not in api.text
