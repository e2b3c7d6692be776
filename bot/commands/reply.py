"""What a request gets back, and who asked it from where."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.change import Actor
from bot.render.card import Message

STORAGE_BUSY = (
    "No se guardó nada: la base de datos no está disponible en este momento. "
    "Intente de nuevo en unos minutos."
)
TEAM_ONLY_ANSWER = "Solo el equipo de soporte puede ver los tickets."


@dataclass(frozen=True)
class Asked:
    actor: Actor
    context: str = ""  # the Slack channel it came from (modals answer there)
    for_slack: bool = True  # False: the command line (plain text, no modals)
    key: str | None = None  # the Slack request, so a retried one is not applied twice


@dataclass(frozen=True)
class Reply:
    text: str = ""
    modal: dict | None = None  # Slack opens it; elsewhere `text` says what to type
    refused: bool = False
    blocks: list[dict] | None = None  # a richer form of `text`, for Slack
    publish: Message | None = None  # to post in the support channel (`sla publicar`)
    errors: dict[str, str] | None = None  # per modal field, when a modal was refused
    field: str | None = None  # the input a refusal concerns, when one does


def refused(message: str, field: str | None = None) -> Reply:
    return Reply(message, refused=True, field=field)
