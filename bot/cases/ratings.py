"""The supplier's rating, from the links of the closing email: signed for the ticket (never a
guessable number), recorded on it and told in its thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.cases.parts import Parts
from bot.cases.tickets import Outcome, act
from bot.domain import supplier
from bot.domain.change import Refused
from bot.domain.text import is_number
from bot.domain.tokens import Signer

PURPOSE = "calificar"
LINK_LIFE = timedelta(days=60)  # the closing email's links; a rating changes for 14 days


def links(signer: Signer, base_url: str, number: int, now: datetime) -> list[str]:
    """The five links (1 to 5) of the closing email."""
    token = signer.sign(PURPOSE, str(number), now)
    base = base_url.rstrip("/")
    return [f"{base}/soporte/calificar?t={token}&v={value}" for value in range(1, 6)]


def ticket_of(signer: Signer, token: str, now: datetime) -> int:
    """The ticket a link names; Refused when it is not one of ours or too old."""
    payload = signer.verify(PURPOSE, token, now, LINK_LIFE)
    if payload is None or not is_number(payload):
        raise Refused("Este enlace de calificación no es válido o ya venció.")
    return int(payload)


async def rate(parts: Parts, number: int, value: int, comment: str) -> tuple[Outcome, bool]:
    """The rating recorded; whether it may still be changed (the 14 days not over)."""
    now = parts.now()
    outcome = await act(
        parts.db,
        number,
        supplier.SUPPLIER,
        lambda ticket: supplier.rated(ticket, value, comment, now),
        now,
        parts.mail_ctx,
        parts.policies,
    )
    parts.wake_outbox(settled=False)
    first = outcome.ticket.rated_at if outcome.ticket is not None else None
    return outcome, first is None or now - first < supplier.RATING_CHANGES_FOR
