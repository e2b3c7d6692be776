"""What the desk reads as the supplier's new words in replies written by Gmail, Apple Mail and
Outlook (`tests/mail_samples.py`): never the quoted history, never «(sin texto)» when they
answered under the question, links with their addresses and table cells apart."""

from __future__ import annotations

from bot.domain.inbound import html_to_text, new_text, parse
from tests import mail_samples as samples


def test_gmail_attribution_wrapped_over_two_lines_stops_the_history() -> None:
    read = parse(samples.GMAIL_WRAPPED.encode())
    assert read.text == "Ya pude entrar, muchas gracias."
    assert read.ticket_in_subject == 12


def test_an_answer_under_the_quoted_question_is_read() -> None:
    read = parse(samples.APPLE_BELOW.encode())
    assert read.text == "Claro, va adjunto. Es la factura A-123 por $17,852.75.\n\nSaludos"


def test_outlook_html_keeps_links_and_table_cells_apart_and_drops_the_history() -> None:
    read = parse(samples.OUTLOOK_HTML.encode())
    assert read.sender_name == "José Martínez"
    assert read.text == (
        "Estas son las facturas que no cargan:\n"
        "Factura | Importe\n"
        "A-123 | $17,852.75\n"
        "A-124 | $2,300.00\n"
        "El error aparece aquí: página de carga "
        "(https://acme.portalhib2b.com/facturas/carga?id=A-123)\n"
        "Saludos,\n"
        "José"
    )


def test_interleaved_answers_keep_every_answer() -> None:
    body = (
        "El lun, 30 nov 2026 a las 10:55, Soporte HIB2B <soporte@portalhib2b.com> escribió:\n"
        "> ¿Cuál es su RFC?\n"
        "AAA010101AAA\n"
        "> ¿Desde qué navegador entra?\n"
        "Chrome 131\n"
        "-- \n"
        "Ximena"
    )
    assert new_text(body) == "AAA010101AAA\nChrome 131"


def test_a_link_whose_text_is_its_address_is_not_repeated() -> None:
    html = (
        '<p>Vea <a href="https://x.mx/a">https://x.mx/a</a> y '
        '<a href="mailto:a@b.mx">a@b.mx</a></p>'
    )
    assert html_to_text(html) == "Vea https://x.mx/a y a@b.mx"
    assert html_to_text('<a href="javascript:alert(1)">clic</a>') == "clic"


def test_html_quotes_are_history_on_every_line() -> None:
    html = (
        "<div>El 30 nov 2026, a las 10:55, Soporte HIB2B escribió:</div>"
        "<blockquote type='cite'><div>Primera línea</div><div>Segunda línea</div></blockquote>"
        "<div>Mi respuesta</div>"
    )
    assert new_text(html_to_text(html)) == "Mi respuesta"
