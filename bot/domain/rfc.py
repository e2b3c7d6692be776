"""Mexican RFCs (the tax id a supplier often types as «usuario»): what looks like one, and
whether its check digit holds (SAT's modulo-11 over the first 11 or 12 characters). Pure.
A wrong digit is a hint for the technician, never a refusal: the supplier may have typed it
from a document that is right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_SHAPE = re.compile(r"([A-ZÑ&]{3,4})(\d{2})(\d{2})(\d{2})([A-Z\d]{2}[A\d])")
_VALUES = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
# SAT's generic RFCs (the public at large, foreigners): valid whatever their digit says.
GENERIC = frozenset({"XAXX010101000", "XEXX010101000"})


@dataclass(frozen=True)
class Rfc:
    value: str
    moral: bool  # a company (12 characters); a person has 13
    digit_ok: bool


def read(text: str) -> Rfc | None:
    """The RFC `text` is (spaces and dashes ignored, any case); None when it is not shaped
    like one (or its date cannot be)."""
    value = re.sub(r"[\s-]", "", text).upper()
    match = _SHAPE.fullmatch(value)
    if match is None:
        return None
    year, month, day = (int(group) for group in match.groups()[1:4])
    try:
        date(2000 + year, month, day)  # the century does not matter for the shape
    except ValueError:
        return None
    return Rfc(value, len(value) == 12, value in GENERIC or _digit(value) == value[-1])


def _digit(value: str) -> str:
    base = value[:-1].rjust(12)  # a company's RFC is read with a leading space
    total = sum(_VALUES.index(char) * (13 - at) for at, char in enumerate(base))
    rest = total % 11
    if rest == 0:
        return "0"
    return "A" if 11 - rest == 10 else str(11 - rest)
