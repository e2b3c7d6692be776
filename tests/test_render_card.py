"""The card and its thread's messages (`bot.render.card`), as the channel sees them: golden Block
Kit for representative tickets, Slack's own models accepting every block, supplier text shown
literally, and the controls drawn from `bot.domain.controls`. Pure: no Slack, no database.

Golden files live in tests/golden/; rewrite them with HIB2B_UPDATE_GOLDEN=1."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.domain import controls
from bot.domain.terms import Severity, Status
from bot.render.card import (
    CARD_DESCRIPTION_LIMIT,
    CARD_EVENT,
    MAX_LITERAL_PIECES,
    THREAD_EVENT,
    CardTicket,
    card,
    card_as_text,
    card_ticket,
    detail,
    event_message,
    full_description,
    is_shortened_on_card,
    reminder,
)
from store.models import StoredFile, Ticket
from tests import golden

ZONE = "America/Mexico_City"
RECEIVED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Monday 10:00 in Mexico City
HOSTILE = "*Estado:* Cerrado <!here> <https://evil.example|clic> _ya_ &amp;"

NEW = CardTicket(
    number=12,
    tipo="conectividad",
    severity="critico",
    status="nuevo",
    usuario="Proveedor Ñandú SA",
    correo="compras@nandu.example",
    liga_portal="https://acme.portalhib2b.com/login",
    descripcion="No puedo entrar al portal desde esta mañana.\nAparece un error 503.",
    created_at=RECEIVED,
    attachments=("captura.png", "factura.pdf"),
    fc_due_at=RECEIVED + timedelta(hours=4),
    client_name="Acme Corp",
)
WAITING = replace(
    NEW,
    number=13,
    tipo="error_cargar_factura",
    severity="medio-alto",
    status="esperando",
    assignee="U0TECH1",
    first_contact_at=RECEIVED + timedelta(minutes=30),
    fc_due_at=None,
    res_paused=True,
    attachments=(),
    mail_bounced=True,
)
CLOSED_DUPLICATE = replace(
    NEW,
    number=14,
    status="cerrado",
    assignee="U0TECH2",
    first_contact_at=RECEIVED + timedelta(minutes=5),
    fc_due_at=None,
    closed_at=RECEIVED + timedelta(hours=1),
    close_kind="duplicado",
    close_cause="Duplicado",
    duplicate_of=3,
)
LONG = replace(
    NEW,
    number=15,
    tipo="no_lo_se",
    severity="bajo",
    usuario="*Negritas* <!here>",
    liga_portal="",
    attachments=(),
    client_name="",
    triage=True,
    descripcion=(HOSTILE + " ") * 40 + "\nFIN DEL TEXTO",
)


def assert_golden(name: str, value: Any) -> None:
    golden.assert_golden(f"{name}.json", golden.as_json(value))


def objects(value: Any) -> list[dict]:
    """Every JSON object inside `value`, depth first."""
    found: list[dict] = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found += objects(item)
    elif isinstance(value, list):
        for item in value:
            found += objects(item)
    return found


def mrkdwn(blocks: list[dict]) -> str:
    return "\n".join(o["text"] for o in objects(blocks) if o.get("type") == "mrkdwn")


def rich_texts(blocks: list[dict]) -> list[str]:
    return [
        o["text"]
        for block in blocks
        if block["type"] == "rich_text"
        for o in objects(block)
        if o.get("type") == "text"
    ]


def actions(blocks: list[dict]) -> dict:
    (found,) = [b for b in blocks if b["type"] == "actions"]
    return found


@pytest.mark.parametrize(
    ("name", "ticket"),
    [
        ("card_new_with_client", NEW),
        ("card_waiting_assigned", WAITING),
        ("card_closed_duplicate", CLOSED_DUPLICATE),
        ("card_long_hostile", LONG),
    ],
)
def test_card_matches_golden_and_slack_models(name, ticket):
    message = card(ticket, ZONE)
    assert_golden(name, message.blocks)
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
        assert parsed.to_dict() == block
    assert message.metadata == {
        "event_type": CARD_EVENT,
        "event_payload": {"ticket": ticket.number},
    }


def test_supplier_text_is_literal_rich_text_never_mrkdwn():
    message = card(LONG, ZONE)
    shown = rich_texts(message.blocks)
    assert "*Negritas* <!here>\n" in shown  # the supplier's name, exactly as typed
    assert any(text.startswith(HOSTILE) for text in shown)  # the description, unescaped
    formatted = mrkdwn(message.blocks)
    assert "<!here>" not in formatted
    assert "evil.example" not in formatted
    assert "Negritas" not in formatted
    # The notification text is mrkdwn too: there the name is escaped.
    assert "&lt;!here&gt;" in message.text
    assert "<!here>" not in message.text


def test_long_description_is_cut_on_card_and_whole_in_thread():
    assert is_shortened_on_card(LONG.descripcion)
    blocks = card(LONG, ZONE).blocks
    description = rich_texts(blocks)[-1]
    assert len(description) <= CARD_DESCRIPTION_LIMIT
    assert description.endswith("…")
    assert "FIN DEL TEXTO" not in description
    assert "_(texto completo en el hilo)_" in mrkdwn(blocks)

    full = full_description(LONG, "hd-15:descripcion")
    assert "".join(rich_texts(full.blocks)) == LONG.descripcion
    assert full.metadata == {
        "event_type": THREAD_EVENT,
        "event_payload": {"ticket": 15, "key": "hd-15:descripcion"},
    }
    assert full.text == "Descripción completa de HD-15"
    # A short one is shown whole, with no pointer to the thread.
    assert not is_shortened_on_card(NEW.descripcion)
    assert NEW.descripcion in rich_texts(card(NEW, ZONE).blocks)
    assert "texto completo en el hilo" not in mrkdwn(card(NEW, ZONE).blocks)


def test_full_description_keeps_at_most_four_pieces():
    text = "palabra " * 2000  # 16,000 characters: more than one message may carry
    blocks = full_description(replace(NEW, descripcion=text), "k").blocks
    pieces = [b for b in blocks if b["type"] == "rich_text"]
    assert len(pieces) == MAX_LITERAL_PIECES
    for block in blocks:
        Block.parse(block).validate_json()


def test_buttons_come_from_the_controls():
    elements = actions(card(NEW, ZONE).blocks)["elements"]
    buttons = [e for e in elements if e["type"] == "button"]
    assert [b["action_id"] for b in buttons] == [c.key for c in controls.BUTTONS]
    assert [b["text"]["text"] for b in buttons] == [c.label for c in controls.BUTTONS]
    assert [b["text"]["text"] for b in buttons] == ["Tomar", "Responder", "Nota interna", "Cerrar"]
    assert {b["value"] for b in buttons} == {"12"}
    assert [b.get("style") for b in buttons] == ["primary", None, None, None]
    assert actions(card(NEW, ZONE).blocks)["block_id"] == controls.block_id(12) == "ticket:12"


@pytest.mark.parametrize(
    ("status", "shown", "hidden"),
    [
        ("nuevo", "Esperar", "Reanudar"),
        ("asignado", "Esperar", "Reanudar"),
        ("esperando", "Reanudar", "Esperar"),
    ],
)
def test_more_menu_offers_wait_or_resume(status, shown, hidden):
    elements = actions(card(replace(NEW, status=status), ZONE).blocks)["elements"]
    (overflow,) = [e for e in elements if e["type"] == "overflow"]
    assert overflow["action_id"] == controls.OVERFLOW_ACTION
    labels = [o["text"]["text"] for o in overflow["options"]]
    assert labels == [c.label for c in controls.more_for(Status(status))]
    assert shown in labels
    assert hidden not in labels
    values = [o["value"] for o in overflow["options"]]
    assert values == [f"{c.key}:12" for c in controls.more_for(Status(status))]


@pytest.mark.parametrize("severity", list(Severity))
def test_severity_select_starts_at_the_tickets_severity(severity):
    elements = actions(card(replace(NEW, severity=severity.value), ZONE).blocks)["elements"]
    (select,) = [e for e in elements if e["type"] == "static_select"]
    assert select["action_id"] == controls.SEVERITY_ACTION
    assert select["initial_option"]["value"] == severity.value
    assert select["initial_option"]["text"]["text"] == severity.label
    assert [o["value"] for o in select["options"]] == [s.value for s in Severity]


def test_closed_card_offers_only_reopen():
    blocks = card(CLOSED_DUPLICATE, ZONE).blocks
    block = actions(blocks)
    assert len(block["elements"]) == 1
    (button,) = block["elements"]
    assert button["type"] == "button"
    assert button["action_id"] == controls.REOPEN.key
    assert button["text"]["text"] == "Reabrir"
    assert button["value"] == "14"
    assert blocks[0]["text"]["text"] == "HD-14 · Conectividad · CERRADO"
    state = mrkdwn(blocks)
    assert "(Duplicado de HD-3)" in state
    assert "*Causa:* Duplicado" in state
    assert "vence" not in state  # no clock runs on a closed ticket


def test_state_line_says_what_needs_attention():
    waiting = mrkdwn(card(WAITING, ZONE).blocks)
    assert "*Estado:* Esperando proveedor" in waiting
    assert "*Asignado a:* <@U0TECH1>" in waiting
    assert ":warning: *Correo rebotado:* llamar al proveedor" in waiting
    assert "*Resolución:* en pausa mientras se espera al proveedor" in waiting
    assert "Primer contacto vence" not in waiting

    new = mrkdwn(card(NEW, ZONE).blocks)
    assert "*Cliente:* Acme Corp" in new
    assert "*Primer contacto vence:* <!date^" in new
    assert "|02/03/2026 14:00 (hora del centro de México)>" in new

    assert ":mag: *Cliente desconocido:* revisar" in mrkdwn(card(LONG, ZONE).blocks)
    lapsed = mrkdwn(card(replace(NEW, sla_runs=False), ZONE).blocks)
    assert "*Soporte no vigente:* sin SLA (`/hib2b cliente aceptar HD-12`)" in lapsed


def test_detail_is_the_card_without_controls():
    full = card(NEW, ZONE).blocks
    shown = detail(NEW, ZONE)
    assert [b for b in full if b["type"] != "actions"] == shown
    assert len(shown) == len(full) - 1


def test_event_message_quotes_the_supplier_literally():
    message = event_message(12, "hd-12:respuesta:1", "*Proveedor* respondió:", HOSTILE)
    assert message.blocks[0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Proveedor* respondió:"},
    }
    assert rich_texts(message.blocks) == [HOSTILE]
    assert message.text == "*Proveedor* respondió:"
    assert message.plain == "*Proveedor* respondió:\n" + HOSTILE
    assert message.metadata["event_payload"] == {"ticket": 12, "key": "hd-12:respuesta:1"}
    assert not message.broadcast


def test_event_message_splits_long_text_and_falls_back_to_the_code():
    long = "\n".join(f"línea {i} " + "x" * 80 for i in range(200))
    message = event_message(12, "k", long)
    sections = [b for b in message.blocks if b["type"] == "section"]
    assert 1 < len(sections) <= 4
    assert all(len(s["text"]["text"]) <= 2900 for s in sections)
    assert len(message.text) <= 300
    assert event_message(12, "k", "", "solo cita").text == "HD-12"


def test_reminders_call_whoever_must_act():
    due = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    message = reminder(12, "k", "primer_contacto", "vencido", due, None, ("U0LEAD1",), ZONE)
    assert message.broadcast
    assert message.text.startswith(
        ":rotating_light: *HD-12* · primer contacto · *vencido* — venció <!date^"
    )
    assert "<!here>" in message.text
    assert message.text.endswith(" · Líderes: <@U0LEAD1>")
    assert message.plain == (
        "HD-12 · primer contacto · vencido — venció 02/03/2026 12:00 · sin asignar"
    )
    Block.parse(message.blocks[0]).validate_json()
    # A warning mentions the assignee only.
    message = reminder(12, "k", "resolucion", "por_vencer", due, "U0TECH1", ("U0LEAD1",), ZONE)
    assert message.text.startswith(":warning: *HD-12* · resolución · *por vencer* — vence <!date^")
    assert message.text.endswith(". <@U0TECH1>")
    assert "Líderes" not in message.text
    assert "<!here>" not in message.text
    assert message.plain.endswith("vence 02/03/2026 12:00 · U0TECH1")


def test_card_as_text_for_the_local_log():
    text = card_as_text(replace(NEW, assignee="U0TECH1"), ZONE)
    assert text.splitlines() == [
        "HD-12 · Conectividad",
        "  Severidad: Crítico   Estado: Sin asignar   Asignado a: U0TECH1",
        "  Proveedor: Proveedor Ñandú SA   Correo: compras@nandu.example",
        "  Liga portal: https://acme.portalhib2b.com/login   Recibido: 02/03/2026 10:00",
        "  Descripción: No puedo entrar al portal desde esta mañana.",
        "    Aparece un error 503.",
        "  Adjuntos: captura.png, factura.pdf",
    ]
    assert card(NEW, ZONE).plain == card_as_text(NEW, ZONE)


def _stored(number: int = 21, **fields: Any) -> Ticket:
    base = Ticket(
        number=number,
        created_at=RECEIVED,
        source="formulario",
        form_id="f-1",
        tipo="olvide_contrasena",
        severity="bajo",
        status="asignado",
        usuario="xime1805",
        correo="x@example.com",
        liga_portal="",
        descripcion="Olvidé la contraseña",
        client_ip="127.0.0.1",
        email_thread="<hd-21.confirmacion.x@portalhib2b.com>",
        slack_channel="C1",
        slack_ts="1.2",
        assignee="U0TECH1",
        fc_due_at=RECEIVED + timedelta(hours=4),
        res_due_at=RECEIVED + timedelta(hours=9),
    )
    return replace(base, **fields)


def test_card_ticket_from_stored_tickets():
    files = [
        StoredFile(1, "a1.pdf", "factura.pdf", "application/pdf", 10, "0" * 64),
        StoredFile(2, "a2.png", "captura.png", "image/png", 20, "1" * 64),
    ]
    shown = card_ticket(_stored(triage=1, mail_bounced=1, sla_runs=0), files, "Acme")
    assert shown.attachments == ("factura.pdf", "captura.png")
    assert shown.client_name == "Acme"
    assert (shown.triage, shown.mail_bounced, shown.sla_runs) == (True, True, False)
    assert shown.fc_due_at == RECEIVED + timedelta(hours=4)  # first contact still pending
    assert shown.res_due_at == RECEIVED + timedelta(hours=9)
    assert not shown.res_paused
    assert (shown.number, shown.usuario, shown.assignee) == (21, "xime1805", "U0TECH1")
    # Once the first contact is made its deadline is gone; a stopped clock is a pause.
    contacted = RECEIVED + timedelta(minutes=20)
    ticket = _stored(
        status="esperando",
        first_contact_at=contacted,
        res_started_at=None,
        res_gen=1,
        res_due_at=None,
    )
    shown = card_ticket(ticket, [])
    assert shown.fc_due_at is None
    assert shown.first_contact_at == contacted
    assert shown.res_paused
    assert shown.attachments == ()
    assert "en pausa" in mrkdwn(card(shown, ZONE).blocks)
    # Never started (no first contact yet): not a pause.
    assert not card_ticket(_stored(res_started_at=None, res_gen=0), []).res_paused


def test_a_description_longer_than_one_message_says_so():
    """Past four pieces (only text that came another way than the form), the thread says the
    description goes on rather than dropping it silently."""
    long = replace(NEW, descripcion="palabra " * 2500)  # ~20,000 characters
    blocks = full_description(long, "k").blocks
    assert "la descripción sigue" in blocks[-1]["elements"][0]["text"]
    assert "la descripción sigue" not in str(full_description(NEW, "k").blocks)
