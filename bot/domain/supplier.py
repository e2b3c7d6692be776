"""What the supplier's email does to a ticket: a reply, a reopening, mail from someone who is
not the supplier, a bounce. Pure, like the technicians' rules in `workflow`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain.change import Actor, Change, Refused, mention
from bot.domain.terms import Status
from bot.domain.text import slack_escape
from bot.domain.workflow import reopened_fields
from store.models import Ticket

SUPPLIER = Actor("proveedor", None, "Proveedor")
MAX_COMMENT = 1000  # characters of a rating's comment


def reply(ticket: Ticket, sender: str, text: str, files: tuple[str, ...], now: datetime) -> Change:
    """The supplier answered by email: into the thread; a ticket waiting on them resumes."""
    fields: dict[str, Any] = {}
    thread = f":incoming_envelope: *Respuesta del proveedor* ({slack_escape(sender)}):"
    if not text:
        thread += "\n_(sin texto)_"
    if files:
        thread += "\n:paperclip: Adjuntos: " + ", ".join(slack_escape(name) for name in files)
    if ticket.status == Status.ESPERANDO:
        fields = {
            "status": Status.ASIGNADO if ticket.assignee else Status.NUEVO,
            "waiting_since": None,
        }
        thread += "\n_El ticket deja de esperar al proveedor._"
    thread += "\n" + (mention(ticket.assignee) if ticket.assignee else "<!here>")
    return Change(
        "respuesta_proveedor",
        "",
        fields=fields,
        detail={"de": sender, "texto": text, "adjuntos": list(files)},
        thread=thread,
        quote=text,
    )


def reopen(ticket: Ticket, sender: str, text: str, now: datetime) -> Change:
    """The supplier answered a recently closed ticket: it is open again."""
    thread = (
        f":arrows_counterclockwise: El proveedor ({slack_escape(sender)}) respondió al "
        f"ticket cerrado y se reabrió{'' if text else ' (sin texto)'}. "
        + (mention(ticket.assignee) if ticket.assignee else "<!here>")
    )
    return Change(
        "reabierto",
        "",
        fields=reopened_fields(ticket),
        detail={"motivo": "El proveedor respondió por correo.", "de": sender, "texto": text},
        thread=thread,
        quote=text,
        email="reabierto",
    )


def unverified_mail(ticket: Ticket, sender: str, text: str, left_out: int) -> Change:
    """Mail naming the ticket in its subject from someone who is not its supplier: shown to the
    team for what it is, and nothing else — no resume, no reopen, no email, no mention."""
    thread = (
        f":grey_question: *Correo de un remitente no verificado* ({slack_escape(sender)}); "
        "no cambia el ticket." + ("" if text else " _(sin texto)_")
    )
    if left_out:
        thread += f"\n_{left_out} adjunto(s) no se guardaron: el remitente no es el del ticket._"
    return Change(
        "correo_no_verificado", "", detail={"de": sender, "texto": text}, thread=thread, quote=text
    )


def bounced(ticket: Ticket, now: datetime) -> Change:
    """An email to the supplier came back: the card says so, so someone calls instead."""
    if ticket.mail_bounced:
        return Change("rebote", "", applied=False)
    return Change(
        "rebote",
        "",
        fields={"mail_bounced": 1},
        thread=":warning: *Correo rebotado*: el correo al proveedor "
        f"({slack_escape(ticket.correo)}) no se pudo entregar. Conviene "
        "llamarle y confirmar su dirección.",
    )


RATING_CHANGES_FOR = timedelta(days=14)
STARS = ("", "★☆☆☆☆", "★★☆☆☆", "★★★☆☆", "★★★★☆", "★★★★★")


def rated(ticket: Ticket, value: int, comment: str, now: datetime) -> Change:
    """The supplier rated the help from the closing email's link: the first rating counts, and
    may be changed for 14 days; each one is told in the thread."""
    if not 1 <= value <= 5:
        raise Refused("La calificación va de 1 a 5.")
    if ticket.closed_at is None:
        raise Refused("Este ticket todavía no se ha cerrado: podrá calificarlo al cerrarse.")
    if ticket.rated_at is not None and now - ticket.rated_at > RATING_CHANGES_FOR:
        raise Refused("Ya pasaron 14 días desde su calificación: ya no se puede cambiar.")
    comment = comment.strip()[:MAX_COMMENT]
    if ticket.rating == value and (ticket.rating_comment or "") == comment:
        return Change("calificado", "", applied=False)
    fields: dict[str, Any] = {"rating": value, "rating_comment": comment or None}
    if ticket.rated_at is None:
        fields["rated_at"] = now
    verb = "calificó" if ticket.rated_at is None else "cambió su calificación a"
    thread = f":star: El proveedor {verb} la atención: *{value} de 5* {STARS[value]}"
    if ticket.assignee:
        thread += f" ({mention(ticket.assignee)})"
    return Change(
        "calificado",
        "",
        fields=fields,
        detail={"valor": value, "comentario": comment},
        thread=thread,
        quote=comment,
    )
