"""RFCs typed as «usuario»: recognised (any case, spaces and dashes), their check digit
verified by SAT's modulo 11, and shown on the card as RFC with a hint when the digit is wrong.
Pure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain.rfc import read
from bot.render.card import card
from tests.test_render_card import NEW as TICKET


@pytest.mark.parametrize(
    ("typed", "value", "moral"),
    [
        ("GODE561231GR8", "GODE561231GR8", False),  # a person
        ("eku9003173c9", "EKU9003173C9", True),  # SAT's own test company
        ("CACX-760510-1P8", "CACX7605101P8", False),
        ("IIA 040805 DZ4", "IIA040805DZ4", True),
        ("XAXX010101000", "XAXX010101000", False),  # generic: valid whatever its digit
    ],
)
def test_real_rfcs_hold(typed: str, value: str, moral: bool) -> None:
    found = read(typed)
    assert found is not None and found.value == value and found.moral is moral
    assert found.digit_ok


def test_a_wrong_digit_is_told_and_other_text_is_not_an_rfc() -> None:
    wrong = read("GODE561231GR9")
    assert wrong is not None and not wrong.digit_ok
    for text in ("xime1805", "GODE561331GR8", "Acme S.A. de C.V.", "GODE561231G", ""):
        assert read(text) is None


def test_the_card_shows_the_rfc_and_hints_at_a_wrong_digit() -> None:
    good = card(replace(TICKET, usuario="gode561231gr8"), "America/Mexico_City")
    shown = str(good.blocks)
    assert "RFC" in shown and "GODE561231GR8" in shown and "dígito verificador" not in shown
    bad = card(replace(TICKET, usuario="GODE561231GR9"), "America/Mexico_City")
    assert "dígito verificador de este RFC no coincide" in str(bad.blocks)
    plain = card(replace(TICKET, usuario="xime1805"), "America/Mexico_City")
    assert "Proveedor" in str(plain.blocks) and "RFC" not in str(plain.blocks[2])
