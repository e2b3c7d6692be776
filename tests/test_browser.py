"""The form in Debian's Chromium, driven by Playwright: what a supplier really does."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from store import tickets as store
from tests import samples
from tests.desk import Desk
from tests.fakes.slack import FakeSlack

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
