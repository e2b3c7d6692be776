"""`fusionar HD-A HD-B`: the same problem reported twice becomes one ticket. A closes as a
duplicate of B, its supplier is told once where the help continues, and B's thread shows what
came from A. Pure, like the other rules."""

from __future__ import annotations

from datetime import datetime

from bot.domain.change import Actor, Change, Refused, member, quoted
from bot.domain.terms import CloseKind, Status, ticket_code
from bot.domain.text import slack_escape
from store.models import Ticket


def merge(ticket: Ticket, actor: Actor, into: Ticket, now: datetime) -> Change:
    """`fusionar HD-A HD-B`: A closes as a duplicate of B; its supplier is told, once, that the
    help continues in B (and their replies go there)."""
    member(actor)
    code, target = ticket_code(ticket.number), ticket_code(into.number)
    if into.number == ticket.number:
        raise Refused("Indique dos tickets distintos: `fusionar HD-A HD-B`.")
    if ticket.status == Status.CERRADO:
        raise Refused(f"{code} ya está cerrado.")
    if into.status == Status.CERRADO:
        raise Refused(f"{target} está cerrado: fusione en un ticket abierto.")
    if ticket.correo.strip().lower() != into.correo.strip().lower():
        # The supplier's replies to A would land on B, where B's supplier reads them.
        raise Refused(
            f"{code} y {target} son de proveedores distintos: ciérrelo como duplicado "
            f"(`cerrar {code} duplicado {target}`) en lugar de fusionarlos."
        )
    summary = f"Fusionado en {target}."
    return Change(
        "fusionado",
        f"{code} se fusionó en {target}; se avisó al proveedor.",
        fields={
            "status": Status.CERRADO,
            "closed_at": now,
            "close_kind": CloseKind.DUPLICADO,
            "close_cause": "Fusionado",
            "close_summary": summary,
            "duplicate_of": into.number,
            "waiting_since": None,
        },
        detail={"en": into.number},
        thread=f":twisted_rightwards_arrows: {actor.mention} fusionó este ticket en *{target}*: "
        "lo que llegue de aquí en adelante va allá.",
        email="fusionado",
    )


def merged_in(ticket: Ticket, actor: Actor, source: Ticket, files: tuple[str, ...]) -> Change:
    """B's side of a merge: its thread says what came from A and where A's thread is."""
    member(actor)
    code = ticket_code(source.number)
    link = code
    if source.slack_channel and source.slack_ts:
        link = (
            f"<https://slack.com/archives/{source.slack_channel}/p"
            f"{source.slack_ts.replace('.', '')}|{code}>"
        )
    thread = (
        f":twisted_rightwards_arrows: {actor.mention} fusionó {link} en este ticket "
        f"(de {slack_escape(source.usuario)}, {slack_escape(source.correo)})."
    )
    if files:
        thread += "\n:paperclip: Sus archivos están en su hilo: " + ", ".join(
            slack_escape(name) for name in files
        )
    thread += f"\nDescripción de {code}:\n{quoted(source.descripcion[:1500])}"
    return Change("fusion_recibida", "", detail={"de": source.number}, thread=thread)
