"""The state machine on its own: every refusal, and what each action changes. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import workflow as w
from bot.domain.change import Actor, Change, Refused
from bot.domain.terms import Role
from store.models import Ticket
from tests.records import resolved

NOW = datetime(2026, 11, 27, 18, tzinfo=UTC)
TECH = Actor("U0TECH1", Role.TECNICO)
OTHER = Actor("U0TECH2", Role.TECNICO)
LEAD = Actor("U0LEAD", Role.LIDER)
STRANGER = Actor("U0NOBODY", None)
NEW = Ticket(
    number=7,
    created_at=NOW - timedelta(hours=3),
    source="formulario",
    form_id="f",
    tipo="conectividad",
    severity="critico",
    status="nuevo",
    usuario="u",
    correo="u@example.com",
    liga_portal="",
    descripcion="d",
    client_ip="",
    email_thread="<x@y>",
    slack_channel=None,
    slack_ts=None,
)
MINE = replace(NEW, status="asignado", assignee="U0TECH1", ever_assigned=1)
WAITING = replace(MINE, status="esperando", waiting_since=NOW)
CLOSED = replace(MINE, status="cerrado", closed_at=NOW, close_kind="resuelto")


def _close(ticket: Ticket, actor: Actor = TECH, **overrides: object) -> Change:
    args = resolved(now=NOW)
    args.update(overrides)
    return w.close(ticket, actor, **args)


@pytest.mark.parametrize(
    ("attempt", "message"),
    [
        (lambda: w.claim(NEW, STRANGER, "U0NOBODY", NOW), "Solo el equipo de soporte"),
        (lambda: w.claim(CLOSED, TECH, "U0TECH1", NOW), "HD-7 está cerrado: no se puede tomar"),
        (lambda: w.claim(MINE, OTHER, "U0TECH2", NOW), "HD-7 ya lo tiene <@U0TECH1>."),
        (lambda: w.claim(NEW, TECH, "U0TECH2", NOW), "Solo un líder puede asignar"),
        (lambda: w.release(MINE, OTHER, NOW), "solo esa persona o un líder"),
        (lambda: w.release(CLOSED, TECH, NOW), "está cerrado"),
        (lambda: w.reply(CLOSED, TECH, "hola", NOW), "no se puede responder"),
        (lambda: w.reply(MINE, TECH, "   ", NOW), "Escriba la respuesta"),
        (lambda: w.reply(MINE, TECH, "x" * 10_001, NOW), "hasta 10,000 caracteres"),
        (lambda: w.note(MINE, STRANGER, "x", NOW), "Solo el equipo"),
        (lambda: w.note(MINE, TECH, "", NOW), "Escriba la nota."),
        (lambda: w.call(CLOSED, TECH, "x", NOW), "no se puede registrar llamadas"),
        (lambda: w.set_severity(MINE, TECH, "urgente", "", NOW), "bajo, medio-alto o critico"),
        (lambda: w.set_severity(CLOSED, TECH, "bajo", "", NOW), "está cerrado"),
        (lambda: w.wait(CLOSED, TECH, "", NOW), "no se puede poner en espera"),
        (lambda: w.resume(CLOSED, TECH, NOW), "está cerrado"),
        (lambda: _close(CLOSED), "HD-7 ya está cerrado."),
        (lambda: _close(MINE, summary=" "), "Escriba el resumen"),
        (lambda: _close(MINE, cause="inventada"), "Seleccione la causa raíz."),
        (lambda: _close(MINE, cause="otra"), "Escriba la causa raíz."),
        (lambda: _close(MINE, kind="borrado"), "resolvió, es spam o es un duplicado"),
        (lambda: _close(MINE, kind="duplicado"), "ticket original"),
        (
            lambda: _close(MINE, kind="duplicado", duplicate_of=7, original_exists=True),
            "ticket original",
        ),
        (lambda: w.reopen(MINE, TECH, "motivo", NOW), "no hay nada que reabrir"),
        (lambda: w.reopen(CLOSED, TECH, "", NOW), "Escriba el motivo"),
    ],
)
def test_refusals(attempt, message: str) -> None:
    with pytest.raises(Refused, match=message.replace("(", r"\(").replace(")", r"\)")):
        attempt()


def test_first_claim_emails_later_ones_do_not() -> None:
    first = w.claim(NEW, TECH, "U0TECH1", NOW)
    assert first.email == "asignado" and first.fields["status"] == "asignado"
    again = w.claim(replace(NEW, ever_assigned=1), TECH, "U0TECH1", NOW)
    assert again.email is None
    by_lead = w.claim(MINE, LEAD, "U0TECH2", NOW)
    assert by_lead.fields["assignee"] == "U0TECH2" and by_lead.email is None
    assert not w.claim(MINE, TECH, "U0TECH1", NOW).applied


def test_first_contact_is_the_earliest_of_reply_call_and_close() -> None:
    call_time = NOW - timedelta(hours=1)
    called = w.call(NEW, TECH, "hablamos", call_time)
    assert called.fields == {"first_contact_at": call_time}
    later = replace(MINE, first_contact_at=call_time)
    assert "first_contact_at" not in w.reply(later, TECH, "hola", NOW).fields
    assert _close(NEW).fields["first_contact_at"] == NOW
    assert "first_contact_at" not in _close(NEW, kind="spam").fields


def test_a_lead_assigns_only_within_the_team() -> None:
    with pytest.raises(Refused, match="no es del equipo de soporte"):
        w.claim(NEW, LEAD, "U0OUTSIDER", NOW, target_on_team=False)
    assert w.claim(NEW, LEAD, "U0TECH2", NOW).fields["assignee"] == "U0TECH2"


def test_a_call_logged_later_counts_at_the_time_it_happened() -> None:
    earlier = NOW - timedelta(hours=2)
    change = w.call(NEW, TECH, "le expliqué la carga", NOW, at=earlier)
    assert change.fields == {"first_contact_at": earlier}
    assert change.detail["hora"] == earlier.isoformat()
    contacted = replace(MINE, first_contact_at=NOW - timedelta(minutes=30))
    assert w.call(contacted, TECH, "otra", NOW, at=earlier).fields == {"first_contact_at": earlier}
    with pytest.raises(Refused, match="posterior a la hora actual"):
        w.call(NEW, TECH, "x", NOW, at=NOW + timedelta(minutes=1))
    with pytest.raises(Refused, match="anterior a la llegada del ticket"):
        w.call(NEW, TECH, "x", NOW, at=NEW.created_at - timedelta(minutes=1))


def test_replying_to_an_unassigned_ticket_takes_it() -> None:
    change = w.reply(NEW, OTHER, "hola", NOW)
    assert change.fields["assignee"] == "U0TECH2" and change.fields["status"] == "asignado"
    assert change.email == "respuesta"


def test_wait_and_resume() -> None:
    assert w.wait(MINE, TECH, "falta XML", NOW).fields == {
        "status": "esperando",
        "waiting_since": NOW,
    }
    assert w.resume(WAITING, TECH, NOW).fields == {"status": "asignado", "waiting_since": None}
    assert not w.resume(MINE, TECH, NOW).applied
    assert not w.wait(WAITING, TECH, "", NOW).applied


def test_what_each_close_emails() -> None:
    assert _close(MINE, kind="spam").email is None
    duplicate = _close(MINE, kind="duplicado", duplicate_of=3, original_exists=True)
    assert duplicate.email == "duplicado" and duplicate.fields["duplicate_of"] == 3
    assert _close(MINE).email == "cerrado"


def test_notes_are_allowed_on_closed_tickets_and_never_email() -> None:
    change = w.note(CLOSED, TECH, "<!channel> revisar", NOW)
    assert change.email is None and "&lt;!channel&gt;" in change.thread
