"""The supplier's form: its fields, how typed values are cleaned, and what makes them wrong.
Pure; the messages are Spanish because the supplier reads them beside the field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from urllib.parse import urlsplit

from bot.domain.terms import INCIDENT_BY_KEY

MAX_DESCRIPCION = 10_000
MAX_USUARIO = 200
MAX_CORREO = 254
MAX_LIGA = 500
TEXT_FIELDS = ("descripcion", "usuario", "correo", "liga_portal", "tipo")
_CONTROLS_KEEP_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
# Zero-width characters, bidirectional overrides and isolates, the BOM, and lone surrogates: they
# make text read differently from what it is («factura‮fdp.exe») or cannot be stored at all.
INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]")
_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]{2,}")


@dataclass(frozen=True)
class FormValues:
    descripcion: str = ""
    usuario: str = ""
    correo: str = ""
    liga_portal: str = ""
    tipo: str = ""


def clean(raw: Mapping[str, str]) -> FormValues:
    """Typed values as we keep them: NFC, no control characters, single-line fields on one line."""

    def one_line(name: str) -> str:
        text = unicodedata.normalize("NFC", INVISIBLE.sub("", raw.get(name, "")))
        return " ".join(_CONTROLS.sub(" ", text).split())

    description = unicodedata.normalize("NFC", INVISIBLE.sub("", raw.get("descripcion", "")))
    description = description.replace("\r\n", "\n").replace("\r", "\n")
    description = _CONTROLS_KEEP_LINES.sub("", description).strip()
    portal = one_line("liga_portal")
    if portal and "://" not in portal:
        portal = "https://" + portal  # suppliers copy "empresa.portalhib2b.com/soporte.php"
    return FormValues(
        descripcion=description,
        usuario=one_line("usuario"),
        correo=ascii_address(one_line("correo")),
        liga_portal=portal,
        tipo=one_line("tipo"),
    )


def validate(values: FormValues) -> dict[str, str]:
    """Field name → what is wrong with it; empty when the form is good."""
    errors: dict[str, str] = {}
    if not values.descripcion:
        errors["descripcion"] = "Describa brevemente cuál es la problemática."
    elif len(values.descripcion) > MAX_DESCRIPCION:
        errors["descripcion"] = (
            f"La descripción admite hasta {MAX_DESCRIPCION:,} caracteres; "
            f"la suya tiene {len(values.descripcion):,}."
        )
    if not values.usuario:
        errors["usuario"] = "Incluya su usuario, RFC o razón social."
    elif len(values.usuario) > MAX_USUARIO:
        errors["usuario"] = f"Use como máximo {MAX_USUARIO} caracteres."
    if not values.correo:
        errors["correo"] = "Incluya su correo de contacto."
    elif not values.correo.isascii():
        errors["correo"] = (
            "Revise el correo: antes de la @ use solo letras sin acentos, números, puntos o "
            "guiones (por ejemplo jose.nunez@empresa.com)."
        )
    elif not is_email(values.correo):
        errors["correo"] = "Revise el correo: debe tener la forma nombre@empresa.com, sin espacios."
    if values.liga_portal and not is_portal_link(values.liga_portal):
        errors["liga_portal"] = (
            "Revise la liga: copie la dirección completa del portal, por ejemplo "
            "https://empresa.portalhib2b.com"
        )
    if not values.tipo:
        errors["tipo"] = "Seleccione el tipo de incidente."
    elif values.tipo not in INCIDENT_BY_KEY:
        errors["tipo"] = "Seleccione uno de los tipos de incidente de la lista."
    return errors


def ascii_address(text: str) -> str:
    """An address whose domain has accents (ñ, é) in the IDNA form every mail server takes
    (`xn--…`); the domain in lower case. Left as it is when it cannot be converted, so that
    `validate` refuses it with a clear message rather than it failing at every delivery."""
    local, at, domain = text.rpartition("@")
    if not at or not domain:
        return text
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return text
    return f"{local}@{domain.lower()}"


def is_email(text: str) -> bool:
    if len(text) > MAX_CORREO or not _EMAIL.fullmatch(text):
        return False
    try:
        Address(addr_spec=text)
    except (ValueError, IndexError):
        return False
    return True


def is_portal_link(text: str) -> bool:
    if len(text) > MAX_LIGA or any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and not host.startswith(".")
