"""The supplier's emails (`bot.render.email`): golden text and headers of each kind, exactly one
recipient whatever the supplier's name holds, no header injection, supplier text escaped in the
HTML part, times named in the centre of Mexico's zone. Pure: nothing is sent.

Golden files live in tests/golden/; rewrite them with HIB2B_UPDATE_GOLDEN=1."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses

import pytest

from bot.domain.attachments import Accepted
from bot.render import email as mail
from bot.render import recipes
from bot.render.email import Envelope, MailContext, OutgoingMail, TicketFacts, recipient
from tests import golden
from tests.samples import PDF

CTX = MailContext(
    "Soporte HIB2B <soporte@portalhib2b.com>",
    "soporte@portalhib2b.com",
    "soporte@portalhib2b.com",
    "America/Mexico_City",
    privacy_url="https://portalhib2b.com/privacidad",
)
AT = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Monday 10:00 in Mexico City
THREAD = "<hd-7.confirmacion.0123456789abcdef@portalhib2b.com>"
TO = Envelope(7, "Proveedor Ñandú", "compras@nandu.example", THREAD)
FACTS = TicketFacts(
    number=7,
    created_at=AT,
    tipo="error_cargar_factura",
    usuario="Proveedor Ñandú",
    correo="compras@nandu.example",
    liga_portal="https://acme.portalhib2b.com",
    descripcion="El XML no carga.\nDice «sello inválido».",
    attachments=("factura.xml", "captura.png"),
)
HEADERS = (
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Auto-Submitted",
    "X-HiB2B-Ticket",
)


def parsed(out: OutgoingMail) -> EmailMessage:
    assert "\r\n" in out.data
    return email.message_from_string(out.data, policy=email.policy.default)


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def summary(out: OutgoingMail) -> str:
    """What the golden file keeps: the headers that matter, the MIME structure (boundaries are
    random) and the text part."""
    message = parsed(out)
    lines = [f"{name}: {message[name]}" for name in HEADERS if message[name] is not None]
    lines.append("")
    for part in message.walk():
        filename = part.get_filename()
        lines.append(part.get_content_type() + (f" ({filename})" if filename else ""))
    lines += ["", text_part(message)]
    return "\n".join(lines)


def assert_golden(name: str, out: OutgoingMail) -> None:
    golden.assert_golden(f"{name}.txt", summary(out))


def _mid(purpose: str) -> str:
    return f"<hd-7.{purpose}.fedcba9876543210@portalhib2b.com>"


EMAILS = {
    "confirmation": lambda: mail.confirmation(
        FACTS, CTX, THREAD, contact_by=datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    ),
    "assigned": lambda: mail.assigned(TO, CTX, _mid("asignado"), AT, "Ana Pérez"),
    "technician_reply": lambda: mail.technician_reply(
        TO,
        CTX,
        _mid("respuesta"),
        AT,
        "Ya puede cargar su factura.\nReintente por favor.",
        "Ana Pérez",
        (Accepted("instrucciones.pdf", "application/pdf", "0" * 64, PDF),),
    ),
    "reopened": lambda: mail.reopened(TO, CTX, _mid("reabierto"), AT, "El error volvió."),
    "closed": lambda: mail.closed(
        TO,
        CTX,
        _mid("cerrado"),
        AT,
        tipo="Error al Cargar mi Factura",
        summary="Se corrigió el sello del XML.",
        cause="Factura o XML con errores",
        timeline=[
            ("02/03/2026 10:00 h", "Recibimos su solicitud."),
            ("02/03/2026 10:30 h", "Le enviamos una respuesta por correo."),
        ],
    ),
}


@pytest.mark.parametrize("name", list(EMAILS))
def test_email_matches_golden(name):
    out = EMAILS[name]()
    assert_golden(f"email_{name}", out)
    message = parsed(out)
    assert out.recipient == "compras@nandu.example"
    assert message["X-HiB2B-Ticket"] == "HD-7"
    assert message["Subject"].startswith("[HD-7] ")
    assert message["Date"] == "Mon, 02 Mar 2026 10:00:00 -0600"
    assert message["Message-ID"] == out.message_id
    assert text_part(message).startswith("Estimado Proveedor Ñandú,")
    assert "Aviso de privacidad: https://portalhib2b.com/privacidad" in text_part(message)
    assert 'href="https://portalhib2b.com/privacidad"' in html_part(message)


def test_confirmation_starts_the_thread_and_later_emails_join_it():
    first = parsed(EMAILS["confirmation"]())
    assert first["Message-ID"] == THREAD
    assert first["In-Reply-To"] is None and first["References"] is None
    later = parsed(EMAILS["assigned"]())
    assert later["In-Reply-To"] == THREAD
    assert later["References"] == THREAD
    assert parsed(mail.assigned(TO, CTX, THREAD, AT, ""))["In-Reply-To"] is None


def test_only_a_person_s_reply_omits_auto_submitted():
    assert parsed(EMAILS["technician_reply"]())["Auto-Submitted"] is None
    for name in ("confirmation", "assigned", "reopened", "closed"):
        assert parsed(EMAILS[name]())["Auto-Submitted"] == "auto-generated", name


def test_reply_attaches_the_files():
    message = parsed(EMAILS["technician_reply"]())
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "instrucciones.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


def test_text_attachment_keeps_its_bytes():
    data = "año;importe\n2026;1,160.00\n".encode("latin-1")
    csv = Accepted("datos.csv", "text/plain", "1" * 64, data)
    out = mail.technician_reply(TO, CTX, _mid("r"), AT, "Adjunto", "", (csv,))
    (attachment,) = list(parsed(out).iter_attachments())
    assert attachment.get_content_type() == "application/octet-stream"
    assert attachment.get_content() == data


@pytest.mark.parametrize(
    "name",
    [
        "Razón, S.A. de C.V. <ventas@evil.example>",
        'Ana "la jefa" <a@b.c>, Beto <b@c.d>',
        "Nombre con salto\r\nBcc: oculto@evil.example",
        "Línea\nuno\u2028dos\x85tres",
        "(comentario) [lista]; a:b @ c\\d",
        "x" * 300,
        "",
    ],
)
def test_to_has_exactly_one_address(name):
    to = Envelope(7, name, "compras@nandu.example", THREAD)
    out = mail.assigned(to, CTX, _mid("asignado"), AT, "Ana")
    message = parsed(out)
    assert message["Bcc"] is None
    assert [address for _, address in getaddresses([message["To"]])] == ["compras@nandu.example"]
    assert len(message["To"].addresses) == 1
    assert message["To"].addresses[0].addr_spec == "compras@nandu.example"
    headers = out.data.split("\r\n\r\n", 1)[0]
    for line in headers.split("\r\n"):
        # A header line, or the folded continuation of one: never a line of its own.
        assert ":" in line or line[:1] in (" ", "\t"), line
    assert "\n" not in headers.replace("\r\n", "")
    assert "\r" not in headers.replace("\r\n", "")


def test_recipient_keeps_the_words_of_the_name():
    address = recipient("Razón, S.A. <x@evil.example>", "a@b.example")
    assert address.display_name == "Razón S A x evil example"
    assert address.addr_spec == "a@b.example"
    assert len(recipient("palabra " * 30, "a@b.example").display_name) <= 64
    assert recipient("Ana\r\nBcc: x", "a@b.example").display_name == "Ana Bcc x"


def test_html_escapes_supplier_text_and_text_part_keeps_it():
    facts = TicketFacts(
        7,
        AT,
        "conectividad",
        "<b>Prov</b> & Cía",
        "p@x.example",
        'javascript:alert("x")',
        "<script>alert('hola')</script>\nSegunda línea",
        ("<img src=x onerror=alert(1)>.png",),
    )
    message = parsed(mail.confirmation(facts, CTX, THREAD))
    html = html_part(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;hola&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Prov&lt;/b&gt; &amp; Cía" in html
    assert "<img" not in html
    assert "<b>Prov</b>" not in html
    text = text_part(message)
    assert "<script>alert('hola')</script>\nSegunda línea" in text
    assert "Estimado <b>Prov</b> & Cía," in text


def test_times_are_named_in_the_centre_of_mexico():
    text = text_part(parsed(EMAILS["confirmation"]()))
    assert "Recibido: 02/03/2026 10:00 (hora del centro de México)" in text
    assert (
        "a más tardar el lunes 2 de marzo de 2026 a las 14:00 (hora del centro de México)" in text
    )
    assert mail.local_time(AT, CTX.timezone) == "02/03/2026 10:00 (hora del centro de México)"
    assert mail.spanish_datetime(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), CTX.timezone) == (
        "el domingo 6 de diciembre de 2026 a las 17:30 (hora del centro de México)"
    )


def test_confirmation_variants():
    after_hours = text_part(parsed(mail.confirmation(FACTS, CTX, THREAD, after_hours=True)))
    assert "llegó fuera de ese horario" in after_hours
    assert "a más tardar" not in after_hours
    suspended = text_part(parsed(mail.confirmation(FACTS, CTX, THREAD, suspended=True)))
    assert "no se encuentra vigente" in suspended
    assert "El primer contacto ocurre" not in suspended
    plain = text_part(parsed(mail.confirmation(FACTS, CTX, THREAD)))
    assert "El primer contacto ocurre dentro de 1 a 4 horas hábiles" in plain
    assert "fuera de ese horario" not in plain
    assert "no se encuentra vigente" not in plain


def test_without_privacy_url_no_link():
    ctx = MailContext(CTX.mail_from, CTX.reply_to, CTX.support_address, CTX.timezone)
    message = parsed(mail.reopened(TO, ctx, _mid("reabierto"), AT, "Otra vez"))
    assert "Aviso de privacidad" not in text_part(message)
    assert "Aviso de privacidad" not in html_part(message)
    assert "Motivo: Otra vez" in text_part(message)


def test_new_message_id_is_short_unique_and_on_our_domain():
    first = mail.new_message_id(123, "confirmacion", CTX.mail_from)
    second = mail.new_message_id(123, "confirmacion", CTX.mail_from)
    assert first != second
    assert first.startswith("<hd-123.confirmacion.")
    assert first.endswith("@portalhib2b.com>")
    assert len(f"Message-ID: {first}") < 78  # never folded
    assert mail.new_message_id(1, "x", "").endswith("@localhost>")


def test_a_recipe_renders_the_same_email_as_rendering_at_once():
    """What the ticket's transaction queues (JSON) becomes, in the email lane, the email the
    supplier would have got had it been rendered in the transaction."""
    contact_by = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    queued = json.loads(
        json.dumps(
            recipes.confirmation_recipe(FACTS, contact_by, after_hours=True, suspended=False)
        )
    )
    assert summary(recipes.render(queued, CTX, THREAD)) == summary(
        mail.confirmation(FACTS, CTX, THREAD, contact_by=contact_by, after_hours=True)
    )
    assigned = json.loads(json.dumps(recipes.assigned_recipe(TO, AT, "Ana Pérez")))
    assert summary(recipes.render(assigned, CTX, _mid("asignado"))) == summary(
        mail.assigned(TO, CTX, _mid("asignado"), AT, "Ana Pérez")
    )
    with pytest.raises(ValueError, match="no recipe"):
        recipes.render({"email": "desconocido"}, CTX, THREAD)


def test_message_ids_take_their_domain_from_a_real_address_only():
    assert mail.new_message_id(7, "creado", "Soporte <soporte@portalhib2b.com>").endswith(
        "@portalhib2b.com>"
    )
    for odd in ("Soporte <@sin-arroba>", "soporte", ""):
        assert mail.new_message_id(7, "creado", odd).endswith("@localhost>"), odd
