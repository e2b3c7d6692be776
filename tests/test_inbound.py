"""Reading mail, as pure rules: who a message claims to be and what the servers say of it."""

from __future__ import annotations

import pytest

from bot.domain import inbound


def _raw(*headers: str) -> bytes:
    lines = [*headers, "From: Ana <ANA@Compañía.MX>", "Subject: [hd-7] ayuda", "", "Hola."]
    return "\r\n".join(lines).encode()


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ((), False),
        (("Authentication-Results: mx.nuestro; dmarc=fail (p=reject) header.from=x.mx",), True),
        (("Authentication-Results: mx.nuestro; dmarc=fail (p=quarantine)",), True),
        # Forwarded mail often fails DMARC; a domain that asks nothing (p=none) is read.
        (("Authentication-Results: mx.nuestro; dmarc=fail (p=NONE sp=NONE)",), False),
        # Only the topmost header is our server's: one further down is the sender's word.
        (
            (
                "Authentication-Results: mx.nuestro; dmarc=pass",
                "Authentication-Results: falso; dmarc=fail (p=reject)",
            ),
            False,
        ),
    ],
)
def test_dmarc_failure_is_read_from_our_own_servers_header(
    headers: tuple[str, ...], refused: bool
) -> None:
    assert inbound.parse(_raw(*headers)).dmarc_fail is refused


def test_sender_and_ticket_are_read_safely() -> None:
    mail = inbound.parse(_raw("X-Spam-Status: Yes, score=12"))
    assert mail.sender == "ana@xn--compaa-7va5a.mx"  # IDNA: every server can deliver to it
    assert mail.ticket_in_subject == 7 and mail.spam
    assert inbound.parse(_raw()).spam is False
