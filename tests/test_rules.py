"""Pure rules, without servers: settings, form fields, uploaded files, Slack text, tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, load_settings, parse_duration
from bot.domain import content
from bot.domain.form import FormValues, clean, validate
from bot.domain.terms import INCIDENT_BY_KEY, Severity, parse_ticket_code
from bot.domain.text import header_safe, shorten, slack_escape
from bot.domain.tokens import Signer
from handlers.ratelimit import RateLimiter
from tests import samples


def test_defaults_are_the_manuals() -> None:
    settings = load_settings({})
    assert settings.mode == "local"
    assert settings.sla_first_contact == (timedelta(hours=1), timedelta(hours=4))
    assert settings.sla_critico == (timedelta(hours=1), timedelta(hours=6))
    assert settings.max_file_bytes == 10 * 1024 * 1024 and settings.max_files == 10
    assert settings.support_address == "soporte@portalhib2b.com"
    assert settings.slack_api_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "HIB2B_CHANNEL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "HIB2B_CHANNEL": "C1234"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "abc"}, "SLACK_BOT_TOKEN"),
        ({"HIB2B_SLA_BAJO": "8h"}, "HIB2B_SLA_BAJO"),
        ({"HIB2B_SLA_CRITICO": "6h,1h"}, "HIB2B_SLA_CRITICO"),
        ({"HIB2B_PORT": "eighty"}, "HIB2B_PORT"),
        ({"SMTP_TLS": "maybe"}, "SMTP_TLS"),
        ({"MAIL_FROM": "Soporte\r\nBcc: x@y <s@x.mx>"}, "MAIL_FROM"),
        ({"HIB2B_TIMEZONE": "Mars/Olympus"}, "HIB2B_TIMEZONE"),
        ({"HIB2B_LEADS": "juan"}, "HIB2B_LEADS"),
        ({"HIB2B_TRUSTED_PROXIES": "proxy.local"}, "HIB2B_TRUSTED_PROXIES"),
        ({"HIB2B_BUSINESS_HOURS": "9-18"}, "HIB2B_BUSINESS_HOURS"),
        ({"HIB2B_BUSINESS_DAYS": "lunes"}, "HIB2B_BUSINESS_DAYS"),
        ({"HIB2B_HOLIDAYS": "XX"}, "HIB2B_HOLIDAYS"),
        ({"HIB2B_EXTRA_CLOSED_DAYS": "2026-13-01"}, "HIB2B_EXTRA_CLOSED_DAYS"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_settings(env)


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_APP_TOKEN": "xapp-1",
            "HIB2B_CHANNEL": "C0123",
            "SLACK_API_URL": "http://x/api",
        }
    )
    assert settings.mode == "socket" and settings.slack_api_url == "http://x/api/"


def test_durations() -> None:
    assert parse_duration("1h30m", "X") == timedelta(hours=1, minutes=30)
    assert parse_duration("90s", "X") == timedelta(seconds=90)
    assert parse_duration("7d", "X") == timedelta(days=7)
    with pytest.raises(ConfigError):
        parse_duration("", "X")
    with pytest.raises(ConfigError):
        parse_duration("4 horas", "X")


def test_default_severity_by_incident_type() -> None:
    expected = {
        "creacion_usuario": Severity.BAJO,
        "olvide_contrasena": Severity.BAJO,
        "no_se_cargar_factura": Severity.BAJO,
        "error_cargar_factura": Severity.MEDIO_ALTO,
        "no_lo_se": Severity.MEDIO_ALTO,
        "conectividad": Severity.CRITICO,
    }
    assert {key: t.severity for key, t in INCIDENT_BY_KEY.items()} == expected


def test_ticket_codes() -> None:
    assert [parse_ticket_code(t) for t in ("HD-12", "hd-12", "12", " hd12 ")] == [12] * 4
    assert parse_ticket_code("HD-") is None and parse_ticket_code("doce") is None


def test_form_cleaning_and_messages() -> None:
    values = clean(
        {
            "descripcion": "  línea 1\r\nlínea 2\x00 ",
            "usuario": "xime\r\n1805",
            "correo": " a@b.mx ",
            "liga_portal": "acme.portalhib2b.com/soporte.php",
            "tipo": "conectividad",
        }
    )
    assert values.descripcion == "línea 1\nlínea 2"
    assert values.usuario == "xime 1805"
    assert values.liga_portal == "https://acme.portalhib2b.com/soporte.php"
    assert validate(values) == {}
    errors = validate(
        FormValues(
            descripcion="x" * 10_001,
            usuario="u",
            correo="a@b",
            liga_portal="javascript:alert(1)",
            tipo="otro",
        )
    )
    assert set(errors) == {"descripcion", "correo", "liga_portal", "tipo"}
    assert "10,000" in errors["descripcion"]
    assert set(validate(FormValues())) == {"descripcion", "usuario", "correo", "tipo"}


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (samples.PDF, "application/pdf"),
        (samples.png(), "image/png"),
        (samples.JPEG, "image/jpeg"),
        (samples.GIF, "image/gif"),
        (samples.CFDI, "application/xml"),
        ("Pedido 123: factura rechazada por el SAT".encode("cp1252"), "text/plain"),
        ("Folio número 5".encode(), "text/plain"),
    ],
)
def test_accepted_files_by_content(data: bytes, kind: str) -> None:
    assert content.inspect(data).content_type == kind


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (samples.EXE, "tipo de archivo no permitido"),
        (b"", "vacío"),
        (samples.BILLION_LAUGHS, "entidades"),
        (samples.XXE, "entidades"),
        (b"<factura><sin-cerrar></factura>", "mal formado"),
        (b"\x89PNG\r\n\x1a\nnot really", "tipo de archivo no permitido"),
    ],
)
def test_refused_files(data: bytes, problem: str) -> None:
    verdict = content.inspect(data)
    assert verdict.content_type is None and problem in (verdict.problem or "")


def test_display_names_are_safe() -> None:
    assert content.display_name("C:\\Users\\x\\factura.xml") == "factura.xml"
    assert content.display_name("../../etc/passwd") == "passwd"
    assert content.display_name("factura\u202efdp.exe") == "facturafdp.exe"
    assert content.display_name("..") == "archivo"
    long = content.display_name("a" * 300 + ".pdf")
    assert len(long) == 120 and long.endswith(".pdf")


def test_slack_and_header_text() -> None:
    assert (
        slack_escape("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    )
    assert header_safe("Hola\r\nBcc: x@y\u2028z") == "Hola Bcc: x@y z"
    assert shorten("uno dos tres", 100) == ("uno dos tres", False)
    cut, was_cut = shorten("palabra " * 50, 40)
    assert was_cut and len(cut) <= 40 and cut.endswith("…")


def test_tokens_are_signed_bound_to_purpose_and_expire() -> None:
    signer = Signer(b"x" * 32)
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    token = signer.sign("gracias", "165", now)
    assert signer.verify("gracias", token, now, timedelta(days=1)) == "165"
    assert signer.verify("form", token, now, timedelta(days=1)) is None
    assert signer.verify("gracias", token.replace("165", "166"), now, timedelta(days=1)) is None
    assert signer.verify("gracias", token, now + timedelta(days=2), timedelta(days=1)) is None
    assert Signer(b"y" * 32).verify("gracias", token, now, timedelta(days=1)) is None


def test_rate_limiter_window() -> None:
    clock = [0.0]
    limiter = RateLimiter(2, 60.0, lambda: clock[0])
    assert [limiter.hit("a"), limiter.hit("a")] == [0.0, 0.0]
    assert limiter.hit("a") == 60.0 and limiter.hit("b") == 0.0
    clock[0] = 61.0
    assert limiter.hit("a") == 0.0
    assert RateLimiter(0, 60.0, lambda: 0.0).hit("a") == 0.0


def test_keep_sent_is_a_positive_duration_or_siempre() -> None:
    assert load_settings({}).keep_sent == timedelta(days=30)
    assert load_settings({"HIB2B_KEEP_SENT": "siempre"}).keep_sent is None
    assert load_settings({"HIB2B_KEEP_SENT": "90d"}).keep_sent == timedelta(days=90)
    with pytest.raises(ConfigError, match="HIB2B_KEEP_SENT"):
        load_settings({"HIB2B_KEEP_SENT": "0s"})
