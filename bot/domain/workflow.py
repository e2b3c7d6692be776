"""What each status allows and what each action changes: the ticket's state machine. Pure.

Every action takes the ticket as it is inside the caller's transaction and either returns a
`Change` (fields to write, the audit event, the thread message, the email to send, the answer to
the person who acted) or raises `Refused` with a polite Spanish reason. Slack, the CLI and tests
all go through here, so a rule is written once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.change import (
    CAUSE,
    CAUSE_TEXT,
    DUPLICATE,
    KIND,
    Actor,
    Change,
    Refused,
    member,
    mention,
    quoted,
    required_text,
    still_open,
)
from bot.domain.terms import CAUSES, CloseKind, Severity, Status, ticket_code
from bot.domain.text import slack_escape
from store.models import Ticket


def claim(
    ticket: Ticket,
    actor: Actor,
    target: str,
    now: datetime,
    name: str = "",
    target_on_team: bool = True,
) -> Change:
    member(actor)
    still_open(ticket, "tomar")
    code = ticket_code(ticket.number)
    if target != actor.user_id and not actor.is_lead:
        raise Refused("Solo un líder puede asignar tickets a otra persona.")
    if not target_on_team:
        raise Refused(
            f"{mention(target)} no es del equipo de soporte: agréguelo antes con "
            "`/hib2b equipo agregar @persona tecnico`."
        )
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
    member(actor)
    still_open(ticket, "soltar")
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
    member(actor)
    still_open(ticket, "responder")
    text = required_text(text, "la respuesta para el proveedor")
    fields: dict[str, Any] = _first_contact(ticket, now)
    thread = f"{actor.mention} respondió al proveedor por correo:\n{quoted(text)}"
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
    member(actor)
    text = required_text(text, "la nota")
    return Change(
        "nota",
        f"Nota interna agregada a {ticket_code(ticket.number)}.",
        detail={"texto": text},
        thread=f":lock: *Nota interna* de {actor.mention} (no se envía al proveedor):\n"
        f"{quoted(text)}",
    )


def call(
    ticket: Ticket, actor: Actor, text: str, now: datetime, at: datetime | None = None
) -> Change:
    """A phone call with the supplier, logged as it ends or later with the time it happened
    (`at`, between the ticket's reception and now): first contact then, if none was earlier."""
    member(actor)
    still_open(ticket, "registrar llamadas")
    text = required_text(text, "de qué se habló en la llamada")
    when = now if at is None else at
    if when > now:
        raise Refused("La hora de la llamada es posterior a la hora actual.")
    if when < ticket.created_at:
        received = ticket.created_at.astimezone(at.tzinfo if at else None)
        raise Refused(
            f"La hora de la llamada es anterior a la llegada del ticket ({received:%H:%M})."
        )
    return Change(
        "llamada",
        f"Llamada registrada en {ticket_code(ticket.number)}"
        + (f" a las {when:%H:%M}." if at is not None else "."),
        fields=_first_contact(ticket, when),
        detail={"texto": text, "hora": when.isoformat()},
        thread=f":telephone_receiver: {actor.mention} registró una llamada con el proveedor:\n"
        f"{quoted(text)}",
    )


def set_severity(ticket: Ticket, actor: Actor, severity: str, reason: str, now: datetime) -> Change:
    member(actor)
    still_open(ticket, "cambiar la severidad")
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
    member(actor)
    still_open(ticket, "poner en espera")
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
    member(actor)
    still_open(ticket, "reanudar")
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
    member(actor)
    code = ticket_code(ticket.number)
    if ticket.status == Status.CERRADO:
        raise Refused(f"{code} ya está cerrado.")
    try:
        close_kind = CloseKind(kind)
    except ValueError:
        raise Refused("Indique si se resolvió, es spam o es un duplicado.", KIND) from None
    summary = required_text(summary, "el resumen de la resolución")
    if cause not in CAUSES:
        raise Refused("Seleccione la causa raíz.", CAUSE)
    cause_label = CAUSES[cause]
    if cause == "otra":
        cause_label = required_text(cause_text, "la causa raíz", CAUSE_TEXT)
    elif cause_text.strip():
        cause_label += f": {cause_text.strip()}"
    is_duplicate = close_kind is CloseKind.DUPLICADO
    if is_duplicate and (duplicate_of in (None, ticket.number) or not original_exists):
        raise Refused("Indique el ticket original del que este es duplicado (HD-N).", DUPLICATE)
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
    thread += f"\nCausa raíz: {slack_escape(cause_label)}\nResumen:\n{quoted(summary)}"
    return Change(
        "cerrado",
        f"{code} cerrado." + CLOSE_TOLD[close_kind],
        fields=fields,
        detail={
            "tipo": close_kind,
            "causa": cause_label,
            "resumen": summary,
            "duplicado_de": duplicate_of,
        },
        thread=thread,
        email=CLOSE_EMAIL[close_kind],
    )


# What the supplier is told of a close: the summary; where the same case is handled (so a
# closed duplicate is never silence); nothing for spam.
CLOSE_EMAIL = {
    CloseKind.RESUELTO: "cerrado",
    CloseKind.DUPLICADO: "duplicado",
    CloseKind.SPAM: None,
}
CLOSE_TOLD = {
    CloseKind.RESUELTO: " Se envió el resumen de cierre al proveedor.",
    CloseKind.DUPLICADO: " Se avisó al proveedor dónde sigue su caso.",
    CloseKind.SPAM: " No se envía correo al proveedor.",
}


def reopened_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "status": Status.ASIGNADO if ticket.assignee else Status.NUEVO,
        "closed_at": None,
        "close_kind": None,
        "close_cause": None,
        "close_summary": None,
        "duplicate_of": None,
    }


def reopen(ticket: Ticket, actor: Actor, reason: str, now: datetime) -> Change:
    member(actor)
    code = ticket_code(ticket.number)
    if ticket.status != Status.CERRADO:
        raise Refused(f"{code} está abierto: no hay nada que reabrir.")
    reason = required_text(reason, "el motivo para reabrir")
    return Change(
        "reabierto",
        f"{code} reabierto.",
        fields=reopened_fields(ticket),
        detail={"motivo": reason},
        thread=f":arrows_counterclockwise: {actor.mention} reabrió el ticket.\n"
        f"Motivo: {slack_escape(reason)}",
        email="reabierto",
    )


def accept(ticket: Ticket, actor: Actor, now: datetime) -> Change:
    """A lead takes a ticket of a client whose support is not current: its clocks start now."""
    member(actor)
    code = ticket_code(ticket.number)
    if not actor.is_lead:
        raise Refused("Solo un líder puede aceptar tickets de clientes sin soporte vigente.")
    if ticket.sla_runs:
        return Change("aceptado", f"{code} ya tiene el SLA en marcha.", applied=False)
    still_open(ticket, "aceptar")
    return Change(
        "aceptado",
        f"{code} aceptado: sus relojes de SLA empiezan ahora.",
        fields={"sla_runs": 1},
        thread=f"{actor.mention} aceptó el ticket aunque el soporte del cliente no está "
        "vigente; los relojes del SLA empiezan ahora.",
    )
