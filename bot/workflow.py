"""What each status allows and what each action changes: the ticket's state machine. Pure.

Every action takes the ticket as it is inside the caller's transaction and either returns a
`Change` (fields to write, the audit event, the thread message, the email to send, the answer to
the person who acted) or raises `Refused` with a polite Spanish reason. Slack, the CLI and tests
all go through here, so a rule is written once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain import CAUSES, CloseKind, Role, Severity, Status, ticket_code
from bot.text import slack_escape
from store.models import Ticket

MAX_TEXT = 10_000


class Refused(Exception):
    """The action is not allowed; the message says why, for the person who tried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def _member(actor: Actor) -> None:
    if actor.role is None:
        raise Refused(
            "Solo el equipo de soporte puede cambiar tickets. "
            "Pida a un líder que lo agregue con `/hib2b equipo agregar`."
        )


def _open(ticket: Ticket, doing: str) -> None:
    if ticket.status == Status.CERRADO:
        raise Refused(
            f"{ticket_code(ticket.number)} está cerrado: no se puede {doing}. "
            f"Si hace falta, reábralo con `/hib2b reabrir {ticket_code(ticket.number)} motivo`."
        )


def _text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise Refused(f"Escriba {what}.")
    if len(text) > MAX_TEXT:
        raise Refused(
            f"El texto admite hasta {MAX_TEXT:,} caracteres; el suyo tiene {len(text):,}."
        )
    return text


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in slack_escape(text).splitlines())


def claim(ticket: Ticket, actor: Actor, target: str, now: datetime, name: str = "") -> Change:
    _member(actor)
    _open(ticket, "tomar")
    code = ticket_code(ticket.number)
    if target != actor.user_id and not actor.is_lead:
        raise Refused("Solo un líder puede asignar tickets a otra persona.")
    if ticket.assignee == target:
        who = "Ya lo tiene usted" if target == actor.user_id else f"Ya lo tiene {mention(target)}"
        return Change("tomado", f"{who}: {code}.", applied=False)
    if ticket.assignee and not actor.is_lead:
        raise Refused(f"{code} ya lo tiene {mention(ticket.assignee)}.")
    status = Status.ASIGNADO if ticket.status == Status.NUEVO else Status(ticket.status)
    first = not ticket.ever_assigned
    if target == actor.user_id:
        thread, answer = f"{actor.mention} tomó el ticket.", f"{code} es suyo."
    else:
        thread = f"{actor.mention} asignó el ticket a {mention(target)}."
        answer = f"{code} quedó asignado a {mention(target)}."
    if ticket.assignee and ticket.assignee != target:
        thread += f" (antes lo tenía {mention(ticket.assignee)})"
    return Change(
        "asignado",
        answer,
        fields={"assignee": target, "status": status, "ever_assigned": 1},
        detail={"a": target, "antes": ticket.assignee, "nombre": name},
        thread=thread,
        email="asignado" if first else None,  # reassignments are internal
    )


def release(ticket: Ticket, actor: Actor, now: datetime) -> Change:
    _member(actor)
    _open(ticket, "soltar")
    code = ticket_code(ticket.number)
    if not ticket.assignee:
        return Change("soltado", f"{code} no está asignado a nadie.", applied=False)
    if ticket.assignee != actor.user_id and not actor.is_lead:
        raise Refused(
            f"{code} lo tiene {mention(ticket.assignee)}: solo esa persona o un líder "
            "pueden soltarlo."
        )
    status = Status.NUEVO if ticket.status == Status.ASIGNADO else Status(ticket.status)
    return Change(
        "soltado",
        f"{code} quedó sin asignar.",
        fields={"assignee": None, "status": status},
        detail={"antes": ticket.assignee},
        thread=f"{actor.mention} soltó el ticket; queda sin asignar.",
    )


def _first_contact(ticket: Ticket, at: datetime) -> dict[str, Any]:
    if ticket.first_contact_at is not None and ticket.first_contact_at <= at:
        return {}
    return {"first_contact_at": at}


def reply(
    ticket: Ticket, actor: Actor, text: str, now: datetime, files: tuple[str, ...] = ()
) -> Change:
    _member(actor)
    _open(ticket, "responder")
    text = _text(text, "la respuesta para el proveedor")
    fields: dict[str, Any] = _first_contact(ticket, now)
    thread = f"{actor.mention} respondió al proveedor por correo:\n{_quote(text)}"
    if files:
        thread += "\n:paperclip: Adjuntos: " + ", ".join(slack_escape(name) for name in files)
    if not ticket.assignee:
        # Whoever answers an unassigned ticket has taken it.
        fields.update(assignee=actor.user_id, ever_assigned=1)
        if ticket.status == Status.NUEVO:
            fields["status"] = Status.ASIGNADO
        thread += f"\n_{actor.mention} queda asignado._"
    return Change(
        "respuesta",
        f"Respuesta enviada al proveedor de {ticket_code(ticket.number)}.",
        fields=fields,
        detail={"texto": text, "adjuntos": list(files)},
        thread=thread,
        email="respuesta",
    )


def note(ticket: Ticket, actor: Actor, text: str, now: datetime) -> Change:
    _member(actor)
    text = _text(text, "la nota")
    return Change(
        "nota",
        f"Nota interna agregada a {ticket_code(ticket.number)}.",
        detail={"texto": text},
        thread=f":lock: *Nota interna* de {actor.mention} (no se envía al proveedor):\n"
        f"{_quote(text)}",
    )


def call(
    ticket: Ticket, actor: Actor, text: str, now: datetime, at: datetime | None = None
) -> Change:
    _member(actor)
    _open(ticket, "registrar llamadas")
    text = _text(text, "de qué se habló en la llamada")
    when = now if at is None else at
    if when > now or when < ticket.created_at:
        raise Refused("La hora de la llamada debe estar entre la recepción del ticket y ahora.")
    return Change(
        "llamada",
        f"Llamada registrada en {ticket_code(ticket.number)}.",
        fields=_first_contact(ticket, when),
        detail={"texto": text, "hora": when.isoformat()},
        thread=f":telephone_receiver: {actor.mention} registró una llamada con el proveedor:\n"
        f"{_quote(text)}",
    )


def set_severity(ticket: Ticket, actor: Actor, severity: str, reason: str, now: datetime) -> Change:
    _member(actor)
    _open(ticket, "cambiar la severidad")
    try:
        new = Severity(severity)
    except ValueError:
        raise Refused("La severidad debe ser bajo, medio-alto o critico.") from None
    old = Severity(ticket.severity)
    code = ticket_code(ticket.number)
    if new == old:
        return Change("severidad", f"{code} ya tiene severidad {new.label}.", applied=False)
    thread = f"{actor.mention} cambió la severidad de {old.label} a *{new.label}*."
    if reason.strip():
        thread += f"\nMotivo: {slack_escape(reason.strip())}"
    return Change(
        "severidad",
        f"Severidad de {code}: {new.label}.",
        fields={"severity": new},
        detail={"de": old, "a": new, "motivo": reason.strip()},
        thread=thread,
    )


def wait(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> Change:
    _member(actor)
    _open(ticket, "ponerlo en espera")
    code = ticket_code(ticket.number)
    if ticket.status == Status.ESPERANDO:
        return Change("esperando", f"{code} ya está esperando al proveedor.", applied=False)
    thread = f"{actor.mention} puso el ticket en espera del proveedor."
    if reason.strip():
        thread += f"\nMotivo: {slack_escape(reason.strip())}"
    return Change(
        "esperando",
        f"{code} queda esperando al proveedor.",
        fields={"status": Status.ESPERANDO, "waiting_since": now},
        detail={"motivo": reason.strip()},
        thread=thread,
    )


def resume(ticket: Ticket, actor: Actor, now: datetime) -> Change:
    _member(actor)
    _open(ticket, "reanudarlo")
    code = ticket_code(ticket.number)
    if ticket.status != Status.ESPERANDO:
        return Change("reanudado", f"{code} no está en espera.", applied=False)
    status = Status.ASIGNADO if ticket.assignee else Status.NUEVO
    return Change(
        "reanudado",
        f"{code} vuelve a estar en atención.",
        fields={"status": status, "waiting_since": None},
        detail={"desde": ticket.waiting_since.isoformat() if ticket.waiting_since else None},
        thread=f"{actor.mention} reanudó el ticket.",
    )


def close(
    ticket: Ticket,
    actor: Actor,
    *,
    kind: str,
    cause: str,
    cause_text: str,
    summary: str,
    duplicate_of: int | None,
    original_exists: bool,
    now: datetime,
) -> Change:
    _member(actor)
    code = ticket_code(ticket.number)
    if ticket.status == Status.CERRADO:
        raise Refused(f"{code} ya está cerrado.")
    try:
        close_kind = CloseKind(kind)
    except ValueError:
        raise Refused("Indique si se resolvió, es spam o es un duplicado.") from None
    summary = _text(summary, "el resumen de la resolución")
    if cause not in CAUSES:
        raise Refused("Seleccione la causa raíz.")
    cause_label = CAUSES[cause]
    if cause == "otra":
        cause_label = _text(cause_text, "la causa raíz")
    elif cause_text.strip():
        cause_label += f": {cause_text.strip()}"
    is_duplicate = close_kind is CloseKind.DUPLICADO
    if is_duplicate and (duplicate_of in (None, ticket.number) or not original_exists):
        raise Refused("Indique el ticket original del que este es duplicado (HD-N).")
    fields: dict[str, Any] = {
        "status": Status.CERRADO,
        "closed_at": now,
        "close_kind": close_kind,
        "close_cause": cause_label,
        "close_summary": summary,
        "duplicate_of": duplicate_of if close_kind is CloseKind.DUPLICADO else None,
        "waiting_since": None,
    }
    if close_kind is CloseKind.RESUELTO:
        fields.update(_first_contact(ticket, now))  # the closing summary is contact
    thread = f":white_check_mark: {actor.mention} cerró el ticket ({close_kind.label})."
    if close_kind is CloseKind.DUPLICADO:
        thread += f" Original: {ticket_code(duplicate_of or 0)}."
    thread += f"\nCausa raíz: {slack_escape(cause_label)}\nResumen:\n{_quote(summary)}"
    return Change(
        "cerrado",
        f"{code} cerrado."
        + (
            " Se envió el resumen de cierre al proveedor."
            if close_kind is CloseKind.RESUELTO
            else " No se envía correo al proveedor."
        ),
        fields=fields,
        detail={
            "tipo": close_kind,
            "causa": cause_label,
            "resumen": summary,
            "duplicado_de": duplicate_of,
        },
        thread=thread,
        email="cerrado" if close_kind is CloseKind.RESUELTO else None,
    )


def _reopened(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": Status.ASIGNADO if ticket.assignee else Status.NUEVO,
        "closed_at": None,
        "close_kind": None,
        "close_cause": None,
        "close_summary": None,
        "duplicate_of": None,
    }


def reopen(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> Change:
    _member(actor)
    code = ticket_code(ticket.number)
    if ticket.status != Status.CERRADO:
        raise Refused(f"{code} está abierto: no hay nada que reabrir.")
    reason = _text(reason, "el motivo para reabrir")
    return Change(
        "reabierto",
        f"{code} reabierto.",
        fields=_reopened(ticket),
        detail={"motivo": reason},
        thread=f":arrows_counterclockwise: {actor.mention} reabrió el ticket.\n"
        f"Motivo: {slack_escape(reason)}",
        email="reabierto",
    )


def accept(ticket: Ticket, actor: Actor, now: datetime) -> Change:
    """A lead takes a ticket of a client whose support is not current: its clocks start now."""
    _member(actor)
    code = ticket_code(ticket.number)
    if not actor.is_lead:
        raise Refused("Solo un líder puede aceptar tickets de clientes sin soporte vigente.")
    if ticket.sla_runs:
        return Change("aceptado", f"{code} ya tiene el SLA en marcha.", applied=False)
    _open(ticket, "aceptarlo")
    return Change(
        "aceptado",
        f"{code} aceptado: sus relojes de SLA empiezan ahora.",
        fields={"sla_runs": 1},
        thread=f"{actor.mention} aceptó el ticket aunque el soporte del cliente no está "
        "vigente; los relojes del SLA empiezan ahora.",
    )


SUPPLIER = Actor("proveedor", None, "Proveedor")


def supplier_reply(
    ticket: Ticket, sender: str, text: str, files: tuple[str, ...], now: datetime
) -> Change:
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


def supplier_reopen(ticket: Ticket, sender: str, text: str, now: datetime) -> Change:
    """The supplier answered a recently closed ticket: it is open again."""
    thread = (
        f":arrows_counterclockwise: El proveedor ({slack_escape(sender)}) respondió al "
        f"ticket cerrado y se reabrió{'' if text else ' (sin texto)'}. "
        + (mention(ticket.assignee) if ticket.assignee else "<!here>")
    )
    return Change(
        "reabierto",
        "",
        fields=_reopened(ticket),
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
