"""Canned replies: their names, the placeholders they may use, and filling them for a ticket.
Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.domain.change import Refused

PLACEHOLDERS = ("usuario", "ticket", "tecnico", "portal", "primer_contacto")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,29}")
MAX_TEXT = 3000  # a Slack input's limit: a template must fit the reply modal


def check_name(name: str) -> str:
    name = name.strip().lower().lstrip("/")
    if not _NAME.fullmatch(name):
        raise Refused("El nombre de la plantilla: 2 a 30 letras, números o guiones, sin acentos.")
    return name


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise Refused("Escriba el texto de la plantilla.")
    if len(text) > MAX_TEXT:
        raise Refused(f"La plantilla no puede pasar de {MAX_TEXT} caracteres.")
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(PLACEHOLDERS))
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise Refused(f"No conozco {', '.join(f'{{{n}}}' for n in unknown)}; use {known}.")
    return text


def fill(text: str, values: Mapping[str, str]) -> str:
    """Each known placeholder replaced by its value; any other braces left as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
