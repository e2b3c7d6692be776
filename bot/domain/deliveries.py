"""What the delivery queue carries: each kind of delivery, its key and what it waits for.

Keys are built here only. A key names one thing that must reach a person once (the queue keeps
one row per key), so a retried request, a replayed email or a watcher pass after a restart that
asks for the same thing again is recognised instead of sent twice. Everything about a ticket
waits for its card (`after`), so the thread has somewhere to go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.periods import Period
from bot.domain.terms import ticket_code
from store.models import NewDelivery

SLACK, EMAIL_LANE, REPORTS_LANE = "slack", "email", "reports"
CARD, DESCRIPTION, FILE, EMAIL = "card", "description", "file", "email"
CARD_UPDATE, THREAD, REMINDER = "card_update", "thread", "reminder"
REPORT, EXPORT = "report", "export"
LEAD_ALERT = "lead_alert"
TO_CHANNEL = "channel"  # a report's destination: the support channel; else a user's id (a DM)


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


def card_update(number: int, event: int | str) -> NewDelivery:
    """The card re-rendered from the ticket as it is when sent (late updates still show the
    latest state). `event`: what caused it, an audit event's id or e.g. `cfdi:<attachment>`."""
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


def lead_alert(number: int, clock: str, gen: int, lead: str) -> NewDelivery:
    """A clock past its deadline, told to one lead by DM (beside the thread's reminder)."""
    return NewDelivery(
        f"{_prefix(number)}:ping:{clock}:{gen}:vencido:dm:{lead}",
        SLACK,
        LEAD_ALERT,
        number,
        {"clock": clock, "gen": gen, "lead": lead},
        after=card_key(number),
    )


def email(number: int, purpose: str, event: int | None, payload: dict[str, Any]) -> NewDelivery:
    """An email of a ticket: the confirmation (`creado`, no event) or one caused by an event."""
    suffix = f":{event}" if event is not None else ""
    key = f"{_prefix(number)}:mail:{purpose}{suffix}"
    return NewDelivery(key, EMAIL_LANE, EMAIL, number, payload)


@dataclass(frozen=True)
class Prepared:
    """A report's or an export's file, written where the reports lane uploads it from, with
    the message that goes with it."""

    path: Path
    filename: str
    title: str
    comment: str  # mrkdwn


def report(key: str, period: Period, client: str | None, to: str) -> NewDelivery:
    """A period's report (summary and chart), drawn when sent: to the support channel
    (`TO_CHANNEL`) or to a person by DM. Its own lane: a slow chart never holds up a card.
    `key` names the occasion (the scheduled period, or the request that asked)."""
    payload = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    return NewDelivery(
        f"report:{key}", REPORTS_LANE, REPORT, None, {**payload, "client": client, "to": to}
    )


def export(key: str, period: Period, client: str | None, fmt: str, to: str) -> NewDelivery:
    """The tracker sheet of the tickets received in `period`, written when sent, by DM."""
    payload = {"since": period.since.isoformat(), "until": period.until.isoformat()}
    return NewDelivery(
        f"export:{key}",
        REPORTS_LANE,
        EXPORT,
        None,
        {**payload, "client": client, "format": fmt, "to": to},
    )


def period_of(payload: dict[str, Any]) -> Period:
    return Period(date.fromisoformat(payload["since"]), date.fromisoformat(payload["until"]))
