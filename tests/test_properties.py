"""Properties of every way in, over generated input (Hypothesis), against the real application:
never a 5xx; a ticket is made whole or not at all; whatever is accepted renders within Block
Kit's limits and makes emails with exactly one recipient.

The `ci` profile (default) runs about a thousand examples per test; `make fuzz` runs the `long`
profile (HYPOTHESIS_PROFILE=long)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cases import clients
from bot.cases.team import OPERATOR
from bot.render import recipes
from bot.render.card import card, card_ticket, full_description, is_shortened_on_card
from store import tickets as store
from tests.desk import GOOD, Desk, assert_within_block_kit, hidden_fields, slack_env

settings.register_profile(
    "ci",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Any character at all: controls, bidi overrides, lone surrogates, NUL.
anything = st.text(st.characters(codec=None, categories=None), max_size=300)
field_value = st.one_of(st.sampled_from(list(GOOD.values())), anything)
TIPOS = ["creacion_usuario", "olvide_contrasena", "error_cargar_factura", "conectividad", "x"]


@pytest.fixture
async def slack_desk(start_desk, fake_slack) -> Desk:
    """The same, in HTTP mode, so `/slack/events` is there to be sent rubbish."""
    return await start_desk(**slack_env(fake_slack.url))


@pytest.fixture
async def quiet_desk(start_desk) -> Desk:
    """The real application with no Slack and no SMTP (local mode): deliveries are checked by
    rendering them, which is what the senders do."""
    return await start_desk(HIB2B_MAX_FILE_MB="1", HIB2B_MAX_TOTAL_MB="2")


async def _check_ticket(desk: Desk, number: int) -> None:
    """The whole ticket is there, its card fits Slack, its emails have one recipient."""
    ticket = await store.get_ticket(desk.services.db, number)
    assert ticket is not None
    files = await store.attachments_of(desk.services.db, number)
    shown = card(card_ticket(ticket, files), desk.settings.timezone)
    assert_within_block_kit(shown.blocks)
    if is_shortened_on_card(ticket.descripcion):
        whole = full_description(card_ticket(ticket, files), "k")
        assert_within_block_kit(whole.blocks)
    rows = await desk.services.db.fetchall(
        "SELECT payload FROM outbox WHERE ticket = ? AND lane = 'email'", (number,)
    )
    assert rows, "the confirmation email is queued with the ticket"
    for row in rows:
        payload = json.loads(row[0])
        data = (
            payload.get("data")
            or recipes.render(
                payload["recipe"], desk.services.parts.mail_ctx, payload["message_id"]
            ).data
        )
        parsed = email.message_from_string(data, policy=email.policy.default)
        assert [a.addr_spec for a in parsed["To"].addresses] == [payload["recipient"]]
        assert payload["recipient"] == ticket.correo and payload["recipient"].isascii()
    cards = await desk.services.db.fetchall(
        "SELECT count(*) FROM outbox WHERE ticket = ? AND kind = 'card'", (number,)
    )
    assert cards[0][0] == 1


BOUNDARY = "propiedad-b0undary"


def _raw(text: str) -> bytes:
    # As a careless or hostile client would send it: any code point, lone surrogates included.
    return text.encode("utf-8", "surrogatepass")


def _multipart(fields: dict[str, str], files: list[tuple[str, bytes]]) -> bytes:
    """Built by hand: a browser library refuses the names a hostile client sends."""
    out = bytearray()
    for name, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += _raw(value).replace(f"--{BOUNDARY}".encode(), b"") + b"\r\n"
    for filename, data in files:
        quoted = _raw(filename).replace(b'"', b"%22").replace(b"\r", b"").replace(b"\n", b"")
        out += f"--{BOUNDARY}\r\n".encode()
        out += b'Content-Disposition: form-data; name="adjuntos"; filename="' + quoted + b'"\r\n'
        out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    return bytes(out + f"--{BOUNDARY}--\r\n".encode())


@given(
    values=st.fixed_dictionaries(
        {
            "descripcion": field_value,
            "usuario": field_value,
            "correo": st.one_of(
                st.just(GOOD["correo"]), st.emails(), anything, st.just("ana@compañía.mx")
            ),
            "liga_portal": field_value,
            "tipo": st.sampled_from(TIPOS),
        }
    ),
    files=st.lists(st.tuples(anything, st.binary(max_size=200)), max_size=3),
    token=st.one_of(st.none(), anything),  # None: the page's own token
)
async def test_form_submissions(
    quiet_desk: Desk, values: dict, files: list, token: str | None
) -> None:
    desk = quiet_desk
    assert desk.http is not None
    before = await store.count_tickets(desk.services.db)
    page = await desk.get("/soporte")
    fields = {**values, "form_token": token or hidden_fields(page.text)["form_token"]}
    form = _multipart(fields, files)
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    async with desk.http.post(
        desk.url + "/soporte", data=form, headers=headers, allow_redirects=False
    ) as answer:
        status = answer.status
        await answer.read()
    assert status < 500
    after = await store.count_tickets(desk.services.db)
    if status == 303:
        assert after == before + 1
        await _check_ticket(desk, after)
    else:
        assert status in (400, 403, 413, 422) and after == before


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), anything),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(anything, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {
                "descripcion": field_value,
                "usuario": field_value,
                "correo": st.one_of(st.just(GOOD["correo"]), anything),
                "tipo": st.sampled_from(TIPOS),
            },
            optional={"liga_portal": field_value, "extra": json_values},
        ),
        json_values,
    ),
    key=st.one_of(st.none(), st.binary(max_size=210)),
)
async def test_api_bodies(quiet_desk: Desk, body: object, key: bytes | None) -> None:
    desk = quiet_desk
    api_key = await _api_key(desk)
    head = (
        "POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {api_key}\r\n"
    ).encode()
    if key is not None:  # any bytes a client may put there, but no line break
        head += b"Idempotency-Key: " + key.replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    before = await store.count_tickets(desk.services.db)
    status, answer = await _send_raw(desk, head, raw)
    assert status < 500, (status, answer[:300])
    reply = json.loads(answer) if status != 400 or answer.startswith(b"{") else {}
    assert isinstance(reply, dict)
    after = await store.count_tickets(desk.services.db)
    if status == 201 and reply["nuevo"]:
        assert after == before + 1
        await _check_ticket(desk, reply["numero"])
    else:
        assert after == before


async def _send_raw(desk: Desk, head: bytes, body: bytes) -> tuple[int, bytes]:
    """One request written byte by byte (an HTTP library refuses odd header bytes)."""
    port = int(desk.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
    writer.write(body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split(b" ", 2)[1]), rest.partition(b"\r\n\r\n")[2]


async def _api_key(desk: Desk) -> str:
    cached = getattr(desk, "_api_key", None)
    if cached is None:
        await clients.add(desk.services.db, OPERATOR, "acme", "Acme", [], desk.services.now())
        cached = await clients.issue_api_key(
            desk.services.db, OPERATOR, "acme", desk.services.now()
        )
        desk._api_key = cached  # type: ignore[attr-defined]
    return cached


@given(
    body=st.binary(max_size=2000),
    boundary=st.one_of(st.just("b0undary"), st.text(max_size=80)),
    path=st.sampled_from(["/soporte", "/api/v1/tickets", "/soporte/acme", "/slack/events"]),
    content_type=st.sampled_from(
        ["multipart/form-data", "application/x-www-form-urlencoded", "application/json", ""]
    ),
)
async def test_raw_bodies(
    slack_desk: Desk, body: bytes, boundary: str, path: str, content_type: str
) -> None:
    desk = slack_desk
    assert desk.http is not None
    headers = {"Authorization": f"Bearer {await _api_key(desk)}"}
    if content_type:
        safe = "".join(c for c in boundary if " " <= c <= "~")  # what a header can carry
        headers["Content-Type"] = (
            f"{content_type}; boundary={safe}"
            if content_type.startswith("multipart")
            else content_type
        )
    before = await store.count_tickets(desk.services.db)
    async with desk.http.post(desk.url + path, data=body, headers=headers) as answer:
        status = answer.status
        await answer.read()
    assert status < 500, (path, status)
    assert await store.count_tickets(desk.services.db) == before  # nothing valid was sent
