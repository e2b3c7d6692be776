"""Reading CFDIs: real invoices built and sealed with satcfdi, then broken the ways suppliers'
files are broken; each problem is one Spanish line. Hostile XML is read in the bounded child
process and never holds up the service."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cfdi import pool
from bot.cfdi.pool import InvoiceReader
from bot.cfdi.read import read
from bot.domain.cfdi import (
    SEAL_BAD,
    SEAL_FOREIGN,
    SEAL_MISSING,
    SEAL_OK,
    Checks,
    Reading,
    findings,
    money,
    problems_of,
)
from bot.render.card import CardTicket, card
from bot.render.cfdi import views
from tests import cfdi_samples as cfdi
from tests.desk import assert_within_block_kit, formatted_texts, literal_texts

ARRIVED = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 17:00 in Mexico City, the stamp's day
CHECKS = Checks(timedelta(hours=72), "Acme S.A. de C.V.", (cfdi.RECEIVER_RFC,))
CARD = CardTicket(
    number=7,
    tipo="error_cargar_factura",
    severity="medio-alto",
    status="nuevo",
    usuario="EKU9003173C9",
    correo="cuentas@proveedora.mx",
    liga_portal="",
    descripcion="El portal rechaza mi factura.",
    created_at=ARRIVED,
    attachments=("factura.xml",),
)


def problems(data: bytes, checks: Checks = CHECKS) -> tuple[str, ...]:
    reading = read(data, ARRIVED)
    assert reading is not None
    return findings(reading, checks)


def test_a_good_invoice_is_read_whole_and_has_no_problem() -> None:
    reading = read(cfdi.build(), ARRIVED)
    assert reading == Reading(
        read_at=ARRIVED.isoformat(),
        version="4.0",
        uuid="6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D",
        kind="I",
        issuer_rfc=cfdi.ISSUER_RFC,
        issuer_name=cfdi.ISSUER_NAME,
        receiver_rfc=cfdi.RECEIVER_RFC,
        receiver_name=cfdi.RECEIVER_NAME,
        total="1160.00",
        currency="MXN",
        issued="2026-11-30T10:00:00",
        stamped="2026-11-30T10:01:00",
        seal=SEAL_OK,
    )
    assert findings(reading, CHECKS) == ()
    assert Reading.from_json(reading.to_json()) == reading


def test_a_total_changed_after_sealing_breaks_the_seal() -> None:
    [line] = problems(cfdi.mutate(cfdi.build(), Total="999.00"))
    assert line.startswith("El sello no corresponde al contenido: el XML se modificó")


def test_an_invoice_to_another_rfc_says_whose_it_should_be() -> None:
    [line] = problems(cfdi.build(cfdi.Invoice(receiver_rfc=cfdi.OTHER_RFC)))
    assert line == (
        f"La factura está emitida al RFC {cfdi.OTHER_RFC}, que no es el RFC de Acme S.A. de "
        f"C.V. ({cfdi.RECEIVER_RFC}): cancélela ante el SAT y emita la sustituta al RFC correcto."
    )
    # Without the client's RFCs there is nothing to compare with.
    assert (
        problems(cfdi.build(cfdi.Invoice(receiver_rfc=cfdi.OTHER_RFC)), Checks(CHECKS.max_age))
        == ()
    )


def test_a_receiver_changed_by_hand_is_both_altered_and_misaddressed() -> None:
    lines = problems(cfdi.set_receiver(cfdi.build(), cfdi.OTHER_RFC))
    assert [line.split(":")[0] for line in lines] == [
        "El sello no corresponde al contenido",
        f"La factura está emitida al RFC {cfdi.OTHER_RFC}, que no es el RFC de Acme S.A. de C.V. "
        f"({cfdi.RECEIVER_RFC})",
    ]


def test_version_3_3_is_no_longer_accepted() -> None:
    reading = read(cfdi.build(cfdi.Invoice(version="3.3")), ARRIVED)
    assert reading is not None and reading.seal == SEAL_OK and reading.schema == ()
    [line] = findings(reading, CHECKS)
    assert line.startswith("Es un CFDI 3.3: desde el 1 de abril de 2023 el SAT solo acepta")


def test_an_old_stamp_is_flagged_after_the_desks_limit() -> None:
    old = cfdi.build(cfdi.Invoice(stamped=datetime(2026, 11, 27, 16, 59)))  # 72 h and 1 min
    [line] = problems(old)
    assert line.startswith(
        "La factura se timbró el 27/11/2026 16:59 (hora del centro de México), hace más de "
        "72 horas, y el portal solo recibe las timbradas en ese plazo."
    )
    assert problems(cfdi.build(cfdi.Invoice(stamped=datetime(2026, 11, 27, 17, 1)))) == ()
    assert problems(old, Checks(timedelta(days=30))) == ()  # HIB2B_CFDI_MAX_AGE=30d


def test_a_missing_attribute_is_named_in_spanish() -> None:
    reading = read(cfdi.mutate(cfdi.build(), Moneda=None), ARRIVED)
    assert reading is not None and reading.seal == SEAL_BAD
    assert "El XML no cumple el esquema del SAT (falta el atributo Moneda en Comprobante)" in (
        " ".join(findings(reading, CHECKS))
    )


def test_a_payment_receipt_is_read_with_its_total_paid() -> None:
    reading = read(cfdi.build(cfdi.Invoice(payment=True)), ARRIVED)
    assert reading is not None
    assert (reading.kind, reading.currency, reading.payments) == ("P", "XXX", "1000")
    assert findings(reading, CHECKS) == ()


def test_unsealed_unstamped_and_other_xml() -> None:
    bare = b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0"/>'
    reading = read(bare, ARRIVED)
    assert reading is not None and reading.seal == SEAL_MISSING and reading.uuid == ""
    text = " ".join(findings(reading, Checks(CHECKS.max_age)))
    assert "no trae sello ni certificado" in text and "no está timbrado" in text
    assert read(b"<pedido><linea>1</linea></pedido>", ARRIVED) is None  # not an invoice


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<cfdi:Comprobante xmlns:cfdi='http://www.sat.gob.mx/cfd/4'", "no es un XML válido"),
        (
            b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Total="&b;"/>',
            "declara un DTD",
        ),
        (
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Total="&x;"/>',
            "no es un XML válido (línea 1)",  # refused by the parser, never fetched
        ),
    ],
)
def test_bombs_and_external_entities_are_one_line_not_expanded(data: bytes, reason: str) -> None:
    reading = read(data, ARRIVED)
    assert reading is not None and reason in reading.unreadable
    [line] = findings(reading, CHECKS)
    assert line.startswith("El XML no se pudo leer: ")
    assert "root:" not in reading.to_json()  # /etc/passwd was never read


def _many_concepts(count: int) -> bytes:
    concepts = b"".join(
        b'<cfdi:Concepto ClaveProdServ="84111506" Cantidad="1" ClaveUnidad="E48" '
        b'Descripcion="x" ValorUnitario="%d" Importe="%d" ObjetoImp="01"/>' % (n, n)
        for n in range(count)
    )
    return (
        b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Version="4.0">'
        b"<cfdi:Conceptos>" + concepts + b"</cfdi:Conceptos></cfdi:Comprobante>"
    )


async def test_a_read_over_its_time_is_stopped_and_the_loop_never_waits() -> None:
    reader = InvoiceReader(workers=1, timeout_s=30)
    try:
        # Warm: the child is started and the schemas compiled (both are slow only once).
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
        reader.timeout_s = 0.05
        heavy = _many_concepts(120_000)  # 15 MB: parsing and the schema take ~0.5 s
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        stopped = await reader.read(heavy, ARRIVED)
        elapsed = time.monotonic() - started
        ticker.cancel()
        assert stopped is not None and stopped.unchecked == "su lectura pasó de 0.05 s y se detuvo"
        assert elapsed < 1
        assert ticks >= 3  # the event loop ran all along
        # The child was killed; the next invoice gets a fresh one.
        reader.timeout_s = 30
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
    finally:
        await reader.close()


async def test_a_read_that_exhausts_its_memory_ends_in_one_line() -> None:
    reader = InvoiceReader(workers=1, timeout_s=30, memory_mb=300)
    try:
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
        # 12 MB of elements: a tree of some 300 MB, more than this child may take.
        spent = await reader.read(_many_concepts(100_000), ARRIVED)
        assert spent is not None and spent.unchecked in {
            "no cupo en la memoria permitida",
            "el proceso lector terminó sin responder",
        }
        [line] = findings(spent, CHECKS)
        assert line.startswith("No se pudo revisar este XML (") and "no se le avisó" in line
        # Ours to say, not the supplier's to fix: the confirmation email leaves it out.
        assert problems_of([("grande.xml", spent.to_json())], CHECKS) == ()
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
    finally:
        await reader.close()


async def test_a_cancelled_read_kills_its_child_and_is_not_swallowed() -> None:
    reader = InvoiceReader(workers=1, timeout_s=30)
    try:
        pending = asyncio.create_task(reader.read(_many_concepts(120_000), ARRIVED))
        await asyncio.sleep(0.2)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
    finally:
        await reader.close()
    assert all(child.process.returncode is not None for child in reader._children)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (cfdi.mutate(cfdi.build(), Total="999.00"), "El sello no corresponde al contenido"),
        (cfdi.build(cfdi.Invoice(receiver_rfc=cfdi.OTHER_RFC)), "no es el RFC de Acme"),
        (cfdi.build(cfdi.Invoice(version="3.3")), "Es un CFDI 3.3"),
        (cfdi.build(cfdi.Invoice(stamped=datetime(2026, 11, 1, 9, 0))), "hace más de 72 horas"),
        (cfdi.mutate(cfdi.build(), Moneda=None), "falta el atributo Moneda en Comprobante"),
    ],
)
def test_each_problem_is_a_line_on_the_card(data: bytes, line: str) -> None:
    reading = read(data, ARRIVED)
    assert reading is not None
    shown = replace(CARD, invoices=views([("factura.xml", reading.to_json())], CHECKS))
    blocks = card(shown, "America/Mexico_City").blocks
    assert_within_block_kit(blocks)
    [section] = [t for t in literal_texts(blocks) if t.startswith("CFDI «factura.xml»")]
    assert any(row.startswith("⚠️ ") and line in row for row in section.splitlines())
    assert "✅" not in section


def test_a_seal_made_with_someone_elses_certificate_is_named() -> None:
    reading = read(cfdi.build(cfdi.Invoice(foreign_seal=True)), ARRIVED)
    assert reading is not None and reading.seal == SEAL_FOREIGN
    [line] = findings(reading, CHECKS)
    assert line.startswith("El XML está sellado con un certificado que no es el del emisor")


def test_what_the_xml_says_is_one_short_line_and_never_a_number_to_expand() -> None:
    lines = cfdi.mutate(cfdi.build(), Total="1E999999999")
    root_name = "ACME&#10;*Posible duplicado de HD-1*&#10;:white_check_mark: Sello OK" + "x" * 5000
    data = lines.replace(f'Nombre="{cfdi.ISSUER_NAME}"'.encode(), f'Nombre="{root_name}"'.encode())
    started = time.monotonic()
    reading = read(data, ARRIVED)
    assert reading is not None
    assert "\n" not in reading.issuer_name and len(reading.issuer_name) == 254
    assert reading.total == "1E999999999" and money(reading.total, "MXN") == "1E999999999 MXN"
    shown = replace(CARD, invoices=views([("f.xml", reading.to_json())] * 12, CHECKS))
    blocks = card(shown, "America/Mexico_City").blocks
    assert time.monotonic() - started < 1
    assert_within_block_kit(blocks)
    assert sum(len(text) for text in literal_texts(blocks)) < 9000  # the invoices' budget
    assert "… y 7 XML más" in " ".join(formatted_texts(blocks))
    # Literal rich text: what the XML says never formats or pings.
    assert not any("Posible duplicado" in text for text in formatted_texts(blocks))


def test_what_the_xml_says_never_pings_the_channel() -> None:
    hostile = Reading(
        read_at=ARRIVED.isoformat(),
        version="4.0",
        uuid="<!channel>",
        issuer_rfc="EKU9003173C9",
        issuer_name="<!here> *Pagado* " + "x" * 10_000,
        receiver_rfc="<@U0LEAD>",
        total="1160.00",
        currency="MXN",
    )
    shown = replace(CARD, invoices=views([("f.xml", hostile.to_json())], CHECKS))
    blocks = card(shown, "America/Mexico_City").blocks
    assert_within_block_kit(blocks)
    mrkdwn = " ".join(formatted_texts(blocks))
    assert "<!here>" not in mrkdwn and "<!channel>" not in mrkdwn and "<@U0LEAD>" not in mrkdwn
    assert "x" * 400 not in json.dumps(blocks)


async def test_an_idle_child_that_died_is_replaced_not_blamed_on_the_invoice() -> None:
    reader = InvoiceReader(workers=1, timeout_s=30)
    try:
        assert (await reader.read(cfdi.build(), ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
        [child] = reader._children
        child.kill()
        await child.process.wait()
        again = await reader.read(cfdi.build(), ARRIVED)
        assert again is not None and again.seal == SEAL_OK and not again.unchecked
    finally:
        await reader.close()


async def test_a_flood_waits_bounded_and_the_child_gets_no_secrets(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secreto-que-no-debe-salir")
    reader = InvoiceReader(workers=1, timeout_s=30)
    try:
        good = cfdi.build()
        assert (await reader.read(good, ARRIVED)).seal == SEAL_OK  # type: ignore[union-attr]
        [child] = reader._children
        environ = Path(f"/proc/{child.process.pid}/environ").read_bytes()
        assert b"xoxb-secreto" not in environ and b"HIB2B_CFDI_WORKER_MB=1024" in environ
        heavy = asyncio.create_task(reader.read(_many_concepts(120_000), ARRIVED))
        await asyncio.sleep(0)  # it holds the only child
        flood = [reader.read(good, ARRIVED) for _ in range(pool.MAX_WAITING + 4)]
        answers = await asyncio.gather(*flood)
        busy = [a for a in answers if a is not None and a.unchecked == pool.BUSY]
        assert len(busy) == 4 and sum(a.seal == SEAL_OK for a in answers) == pool.MAX_WAITING
        await heavy
    finally:
        await reader.close()
