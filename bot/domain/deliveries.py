"""What the delivery queue carries: each kind of delivery, its key and what it waits for.

Keys are built here only. A key names one thing that must reach a person once (the queue keeps
one row per key), so a retried request, a replayed email or a watcher pass after a restart that
asks for the same thing again is recognised instead of sent twice. Everything about a ticket
waits for its card (`after`), so the thread has somewhere to go."""

from __future__ import annotations

from typing import Any

from bot.domain.terms import ticket_code
from store.models import NewDelivery

SLACK, EMAIL_LANE = "slack", "email"
CARD, DESCRIPTION, FILE, EMAIL = "card", "description", "file", "email"
CARD_UPDATE, THREAD, REMINDER = "card_update", "thread", "reminder"


def _prefix(number: int) -> str:
    return ticket_code(number).lower()


def card_key(number: int) -> str:
    return f"{_prefix(number)}:card"


def card(number: int) -> NewDelivery:
    return NewDelivery(card_key(number), SLACK, CARD, number, {})


def description(number: int) -> NewDelivery:
    """The whole description in the thread, when the card had to shorten it."""
    return NewDelivery(
        f"{_prefix(number)}:description", SLACK, DESCRIPTION, number, {}, after=card_key(number)
    )


def file(number: int, attachment: int) -> NewDelivery:
    return NewDelivery(
        f"{_prefix(number)}:file:{attachment}",
        SLACK,
        FILE,
        number,
        {"attachment": attachment},
        after=card_key(number),
    )


def card_update(number: int, event: int) -> NewDelivery:
    """The card re-rendered from the ticket as it is when sent (late updates still show the
    latest state)."""
    return NewDelivery(
        f"{_prefix(number)}:update:{event}", SLACK, CARD_UPDATE, number, {}, after=card_key(number)
    )


def thread_event(number: int, event: int, text: str, quote: str) -> NewDelivery:
    return NewDelivery(
        f"{_prefix(number)}:event:{event}",
        SLACK,
        THREAD,
        number,
        {"text": text, "quote": quote},
        after=card_key(number),
    )


def reminder(number: int, clock: str, gen: int, stage: str) -> NewDelivery:
    return NewDelivery(
        f"{_prefix(number)}:ping:{clock}:{gen}:{stage}",
        SLACK,
        REMINDER,
        number,
        {"clock": clock, "gen": gen, "stage": stage},
        after=card_key(number),
    )


def email(number: int, purpose: str, event: int | None, payload: dict[str, Any]) -> NewDelivery:
    """An email of a ticket: the confirmation (`creado`, no event) or one caused by an event."""
    suffix = f":{event}" if event is not None else ""
    key = f"{_prefix(number)}:mail:{purpose}{suffix}"
    return NewDelivery(key, EMAIL_LANE, EMAIL, number, payload)
