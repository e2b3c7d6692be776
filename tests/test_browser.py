"""The form in Debian's Chromium, driven by Playwright: what a supplier really does."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, async_playwright

from bot.cases import clients, ratings, ticket_page
from bot.cases.team import OPERATOR
from store import tickets as store
from store.db import to_db
from tests import blockkit_preview as preview
from tests import cfdi_samples as cfdi
from tests import samples
from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        await browser.close()


async def test_supplier_fills_the_form_with_a_file(
    desk: Desk, browser: Browser, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    xml = tmp_path / "factura.xml"
    xml.write_bytes(samples.CFDI)
    page = await browser.new_page(viewport={"width": 1100, "height": 1500})
    await page.goto(desk.url + "/soporte")
    await page.screenshot(path=ARTIFACTS / "formulario.png", full_page=True)

    # First try: no email. The form comes back with the message beside the field.
    await page.get_by_label("Descripción del Incidente").fill("No puedo cargar mi factura.")
    await page.get_by_label("Usuario, RFC o Razón Social").fill("XAXX010101000")
    await page.get_by_label("Error al Cargar mi Factura").check()
    await page.get_by_label("Documentos Adjuntos").set_input_files(str(xml))
    await page.get_by_role("button", name="Enviar").click()
    error = page.locator("#correo-error")
    assert await error.inner_text() == "Incluya su correo de contacto."
    assert await page.get_by_label("Correo Contacto").get_attribute("aria-invalid") == "true"
    assert "factura.xml" in await page.locator("#adjuntos-guardados").inner_text()
    assert await page.get_by_label("Usuario, RFC o Razón Social").input_value() == "XAXX010101000"
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=ARTIFACTS / "formulario-errores-movil.png", full_page=True)

    await page.get_by_label("Correo Contacto").fill("facturas@proveedor.mx")
    await page.get_by_role("button", name="Enviar").click()
    await page.wait_for_url("**/soporte/gracias?t=*")
    body = await page.locator("main").inner_text()
    assert "Gracias por el envío, muy pronto se pondrá en contacto con usted" in body
    assert "HD-1" in body
    await page.screenshot(path=ARTIFACTS / "gracias.png", full_page=True)

    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.tipo == "error_cargar_factura"
    assert ticket.severity == "medio-alto"
    [attachment] = await store.attachments_of(desk.services.db, 1)
    assert attachment.display_name == "factura.xml" and attachment.size == len(samples.CFDI)
    await fake_slack.wait_for(lambda: fake_slack.cards())


async def test_supplier_follows_their_ticket_and_rates_it(
    desk: Desk, browser: Browser, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """The ticket page and the rating page, as a supplier opens them from their emails."""
    ARTIFACTS.mkdir(exist_ok=True)
    await desk.submit()
    services = desk.services
    signer, now = services.signer, services.now()

    page = await browser.new_page(viewport={"width": 1000, "height": 1200})
    await page.goto(ticket_page.link(signer, desk.url, 1, now))
    assert "Ticket HD-1" in await page.locator("h1").inner_text()
    await page.get_by_label("Comentario").fill("Les envío también la captura del error.")
    pdf = tmp_path / "captura.pdf"
    pdf.write_bytes(samples.PDF)
    await page.get_by_label("Documentos adjuntos").set_input_files(str(pdf))
    await page.get_by_role("button", name="Enviar comentario").click()
    await page.wait_for_url("**agregado=1")
    main = await page.locator("main").inner_text()
    assert "Recibimos su comentario" in main and "Les envío también la captura" in main
    assert "archivos: captura.pdf" in main
    await page.screenshot(path=ARTIFACTS / "pagina-ticket.png", full_page=True)
    await fake_slack.wait_for(
        lambda: [m for m in fake_slack.messages if "Respuesta del proveedor" in (m["text"] or "")]
    )

    # Closed, the supplier rates it from the closing email's «4».
    await services.db.write(
        "UPDATE tickets SET status = 'cerrado', closed_at = ?, close_kind = 'resuelto'"
        " WHERE number = 1",
        (to_db(now),),
    )
    await page.goto(ratings.links(signer, desk.url, 1, now)[3])
    assert await page.get_by_label("4 ★★★★").is_checked()
    await page.get_by_label("Comentario (opcional)").fill("Muy amables.")
    await page.screenshot(path=ARTIFACTS / "calificar.png", full_page=True)
    await page.get_by_role("button", name="Enviar calificación").click()
    assert "4 de 5" in await page.locator("main").inner_text()
    row = await services.db.fetchone("SELECT rating, rating_comment FROM tickets WHERE number = 1")
    assert tuple(row) == (4, "Muy amables.")


async def test_a_card_with_invoices_as_the_channel_shows_it(
    start_desk, browser: Browser, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    """The card's «CFDI» sections and its «Posible duplicado» line, photographed for the
    README (docs/tarjeta-cfdi.png) from the blocks the fake Slack received."""
    monday = datetime(2026, 11, 30, 17, 0, tzinfo=ZoneInfo("America/Mexico_City"))
    desk = await start_desk(now=lambda: monday, **slack_env(fake_slack.url), **smtp_env(smtp))
    await clients.add(
        desk.services.db,
        OPERATOR,
        "acme",
        "Acme S.A. de C.V.",
        ["acme.portalhib2b.com"],
        monday,
        rfc_words=[cfdi.RECEIVER_RFC],
    )
    invoice = cfdi.build()
    await desk.submit(path="/soporte/acme", files=[("factura-A123.xml", invoice)])
    altered = cfdi.mutate(
        cfdi.build(cfdi.Invoice(uuid="7A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D")), Total="999.00"
    )
    await desk.submit(
        {
            **GOOD,
            "tipo": "error_cargar_factura",
            "usuario": "EKU9003173C9",
            "descripcion": "El portal rechaza mis facturas A-123 y A-124, las adjunto.",
        },
        path="/soporte/acme",
        files=[("factura-A123.xml", invoice), ("factura-A124.xml", altered)],
    )
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 2)
    card = fake_slack.cards()[1]
    page = await browser.new_page(viewport={"width": 860, "height": 600})
    await page.set_content(preview.page(card["blocks"]))
    shown = await page.locator("body").inner_text()
    assert "CFDI «factura-A124.xml»" in shown and "Posible duplicado de HD-1" in shown
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "tarjeta-cfdi.png", full_page=True)
