"""Who acts, what an action changes and how a refusal is said: the vocabulary every rule of the
ticket's state machine speaks (`workflow` for technicians, `supplier` for the supplier's mail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain.terms import Role, Status, ticket_code
from bot.domain.text import slack_escape
from store.models import Ticket

# The input a refusal concerns, named as the modals' blocks are (`bot.render.modals`).
TEXT, KIND, CAUSE, CAUSE_TEXT, DUPLICATE, USER, FILES = (
    "texto",
    "tipo",
    "causa",
    "causa_texto",
    "original",
    "persona",
    "archivos",
)
TEMPLATE = "plantilla"
MAX_TEXT = 10_000


class Refused(Exception):
    """The action is not allowed; the message says why, for the person who tried. `field`:
    which input it concerns (a form's field or a modal's block), when one does."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Actor:
    user_id: str  # a Slack user id, or "operador" for the command line
    role: Role | None
    name: str = ""

    @property
    def is_lead(self) -> bool:
        return self.role is Role.LIDER

    @property
    def mention(self) -> str:
        return mention(self.user_id)


def mention(user_id: str | None) -> str:
    if not user_id:
        return "nadie"
    return f"<@{user_id}>" if user_id[:1] in ("U", "W") else user_id


@dataclass(frozen=True)
class Change:
    action: str  # the audit event
    answer: str  # to the person who acted
    fields: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    thread: str = ""  # posted in the card's thread (mrkdwn)
    quote: str = ""  # the supplier's own words, shown after `thread` exactly as written
    email: str | None = None  # which email the supplier gets: asignado, respuesta, …
    applied: bool = True  # False: nothing to change (already so); only the answer goes back


def member(actor: Actor) -> None:
    if actor.role is None:
        raise Refused(
            "Solo el equipo de soporte puede cambiar tickets. "
            "Pida a un líder que lo agregue con `/hib2b equipo agregar`."
        )


def still_open(ticket: Ticket, doing: str) -> None:
    if ticket.status == Status.CERRADO:
        raise Refused(
            f"{ticket_code(ticket.number)} está cerrado: no se puede {doing}. "
            f"Si hace falta, reábralo con `/hib2b reabrir {ticket_code(ticket.number)} motivo`."
        )


def required_text(text: str, what: str, field: str = TEXT) -> str:
    text = text.strip()
    if not text:
        raise Refused(f"Escriba {what}.", field)
    if len(text) > MAX_TEXT:
        raise Refused(
            f"El texto admite hasta {MAX_TEXT:,} caracteres; el suyo tiene {len(text):,}.", field
        )
    return text


def quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in slack_escape(text).splitlines())
