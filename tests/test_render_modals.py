"""The technicians' modals (`bot.render.modals`) and the way back from Slack
(`bot.domain.controls`): golden views, Slack's `View` model accepting them, callback and block
ids that the submission table understands, and every card control turned into its request.

Golden files live in tests/golden/; rewrite them with HIB2B_UPDATE_GOLDEN=1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.domain import controls
from bot.domain import requests as r
from bot.domain.change import CAUSE, CAUSE_TEXT, DUPLICATE, FILES, KIND, TEXT, USER, Refused
from bot.domain.requests import Form
from bot.domain.terms import CAUSES, INCIDENT_TYPES, CloseKind, Severity
from bot.render import modals
from bot.render.card import CardTicket
from tests import golden

TICKET = CardTicket(
    number=42,
    tipo="error_cargar_factura",
    severity="medio-alto",
    status="asignado",
    usuario="Razón <!here> & Cía",
    correo="pagos@razon.example",
    liga_portal="",
    descripcion="El XML no carga.",
    created_at=datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
    assignee="U0TECH1",
)
CHANNEL = "C0SUPPORT"
CLIENTS = [("acme", "Acme Corp"), ("nandu", "Ñandú SA de CV " + "x" * 90)]

# form → (how it is drawn, its title, the input block ids in order)
TICKET_MODALS: dict[Form, tuple[Callable[[CardTicket, str], dict], str, list[str]]] = {
    Form.REPLY: (modals.reply_modal, "Responder HD-42", [TEXT, FILES]),
    Form.NOTE: (modals.note_modal, "Nota interna", [TEXT]),
    Form.CALL: (modals.call_modal, "Registrar llamada", [TEXT]),
    Form.REOPEN: (modals.reopen_modal, "Reabrir HD-42", [TEXT]),
    Form.ASSIGN: (modals.assign_modal, "Reasignar", [USER]),
    Form.CLOSE: (modals.close_modal, "Cerrar HD-42", [KIND, TEXT, CAUSE, CAUSE_TEXT, DUPLICATE]),
}
NEW_BLOCKS = [
    "origen",
    "descripcion",
    "usuario",
    "correo",
    "liga_portal",
    "tipo",
    "severidad",
    "cliente",
]


def assert_golden(name: str, value: Any) -> None:
    golden.assert_golden(f"{name}.json", golden.as_json(value))


def validated(view: dict) -> dict:
    """The view as Slack's model reads it: valid, and the same JSON once read back."""
    model = View(**view)
    model.validate_json()
    assert model.to_dict() == view
    return view


def inputs(view: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


@pytest.mark.parametrize("form", list(TICKET_MODALS), ids=lambda f: f.name)
def test_ticket_modal(form):
    draw, title, block_ids = TICKET_MODALS[form]
    view = validated(draw(TICKET, CHANNEL))
    assert_golden(f"modal_{form.name.lower()}", view)
    assert view["type"] == "modal"
    assert view["callback_id"] == form.value
    assert view["private_metadata"] == f"42|{CHANNEL}"
    assert view["title"]["text"] == title
    assert view["close"]["text"] == "Cancelar"
    assert list(inputs(view)) == block_ids
    for block_id, block in inputs(view).items():
        assert block["element"]["action_id"] == block_id
    heading = view["blocks"][0]["text"]
    assert heading["type"] == "mrkdwn"
    assert heading["text"] == (
        "*HD-42* · Error al Cargar mi Factura · Razón &lt;!here&gt; &amp; Cía (pagos@razon.example)"
    )


def test_new_ticket_modal():
    view = validated(modals.new_ticket_modal(CLIENTS, CHANNEL))
    assert_golden("modal_new", view)
    assert view["callback_id"] == Form.NEW.value
    assert view["private_metadata"] == f"0|{CHANNEL}"
    blocks = inputs(view)
    assert list(blocks) == NEW_BLOCKS
    assert set(NEW_BLOCKS) == set(controls.NEW_FIELDS)
    types = blocks["tipo"]["element"]["options"]
    assert [o["value"] for o in types] == [t.key for t in INCIDENT_TYPES]
    severities = blocks["severidad"]["element"]["options"]
    assert [o["value"] for o in severities] == [s.value for s in Severity]
    assert blocks["severidad"]["optional"]
    origen = blocks["origen"]["element"]
    assert origen["initial_option"]["value"] == "telefono"
    clients = blocks["cliente"]["element"]["options"]
    assert [o["value"] for o in clients] == ["acme", "nandu"]
    assert len(clients[1]["text"]["text"]) == 75  # Slack's limit for an option's text


def test_new_ticket_modal_without_clients_has_no_client_input():
    view = validated(modals.new_ticket_modal([], CHANNEL))
    assert "cliente" not in inputs(view)
    assert list(inputs(view)) == NEW_BLOCKS[:-1]


def test_close_modal_offers_every_kind_and_cause():
    blocks = inputs(modals.close_modal(TICKET, CHANNEL))
    kinds = blocks[KIND]["element"]
    assert [o["value"] for o in kinds["options"]] == [k.value for k in CloseKind]
    assert kinds["initial_option"]["value"] == CloseKind.RESUELTO
    assert [o["value"] for o in blocks[CAUSE]["element"]["options"]] == list(CAUSES)
    assert [o["text"]["text"] for o in blocks[CAUSE]["element"]["options"]] == list(CAUSES.values())
    assert blocks[CAUSE_TEXT]["optional"] and blocks[DUPLICATE]["optional"]
    assert not blocks[TEXT]["optional"]


def test_reply_modal_takes_files():
    files = inputs(modals.reply_modal(TICKET, CHANNEL))[FILES]
    assert files["optional"]
    assert files["element"]["type"] == "file_input"
    assert files["element"]["max_files"] == modals.MAX_REPLY_FILES


# --- the way back: submitted values -------------------------------------------------------
SUBMISSIONS: list[tuple[Form, dict[str, str], r.Request]] = [
    (Form.REPLY, {TEXT: "Ya quedó.\nSaludos"}, r.Reply(42, "Ya quedó.\nSaludos")),
    (Form.NOTE, {TEXT: "Revisar con TI"}, r.Note(42, "Revisar con TI")),
    (Form.CALL, {TEXT: "Llamó a las 10"}, r.Call(42, "Llamó a las 10")),
    (Form.REOPEN, {TEXT: "Sigue fallando"}, r.Reopen(42, "Sigue fallando")),
    (Form.ASSIGN, {USER: "U0TECH2"}, r.Claim(42, target="U0TECH2")),
    (Form.ASSIGN, {}, r.Claim(42, target=None)),
    (
        Form.CLOSE,
        {KIND: "resuelto", TEXT: "Se restableció", CAUSE: "otra", CAUSE_TEXT: "Caché"},
        r.Close(42, "resuelto", "otra", "Se restableció", cause_text="Caché"),
    ),
    (
        Form.CLOSE,
        {KIND: "duplicado", TEXT: "Igual que otro", CAUSE: "acceso", DUPLICATE: " hd-7 "},
        r.Close(42, "duplicado", "acceso", "Igual que otro", duplicate_of=7),
    ),
    (
        Form.NEW,
        {
            "origen": "telefono",
            "descripcion": "Sin acceso",
            "usuario": "u1",
            "correo": "u1@x.example",
            "tipo": "conectividad",
        },
        r.OpenTicket(
            {
                "descripcion": "Sin acceso",
                "usuario": "u1",
                "correo": "u1@x.example",
                "liga_portal": "",
                "tipo": "conectividad",
                "cliente": "",
                "severidad": "",
                "origen": "telefono",
            }
        ),
    ),
]


@pytest.mark.parametrize(("form", "values", "expected"), SUBMISSIONS)
def test_submitted_values_become_the_request(form, values, expected):
    number = 0 if form is Form.NEW else 42
    view = (
        modals.new_ticket_modal(CLIENTS, CHANNEL)
        if form is Form.NEW
        else TICKET_MODALS[form][0](TICKET, CHANNEL)
    )
    assert set(values) <= set(inputs(view)), "values keyed by the modal's own block ids"
    assert controls.submitted(Form(view["callback_id"]), number, values) == expected


@pytest.mark.parametrize("original", ["abc", "HD-", "12a", "HD-1 HD-2"])
def test_close_with_a_bad_original_is_refused_on_its_input(original):
    values = {KIND: "duplicado", TEXT: "x", CAUSE: "acceso", DUPLICATE: original}
    with pytest.raises(Refused) as refused:
        controls.submitted(Form.CLOSE, 42, values)
    assert refused.value.field == DUPLICATE
    assert "HD-N" in refused.value.message


def test_every_form_has_a_submission_rule():
    assert set(controls.SUBMITTED) == set(Form)


# --- the way back: clicks -----------------------------------------------------------------
CLICKS: list[tuple[controls.Control, r.Request]] = [
    (controls.BUTTONS[0], r.Claim(42)),
    (controls.BUTTONS[1], r.OpenForm(Form.REPLY, 42)),
    (controls.BUTTONS[2], r.OpenForm(Form.NOTE, 42)),
    (controls.BUTTONS[3], r.OpenForm(Form.CLOSE, 42)),
    (controls.REOPEN, r.OpenForm(Form.REOPEN, 42)),
]
MENU: list[tuple[controls.Control, r.Request]] = [
    (controls.MORE[0], r.OpenForm(Form.CALL, 42)),
    (controls.MORE[1], r.Wait(42)),
    (controls.MORE[2], r.Resume(42)),
    (controls.MORE[3], r.Release(42)),
    (controls.MORE[4], r.OpenForm(Form.ASSIGN, 42)),
]


def test_every_control_is_covered():
    assert {c.key for c, _ in CLICKS} == {c.key for c in (*controls.BUTTONS, controls.REOPEN)}
    assert {c.key for c, _ in MENU} == {c.key for c in controls.MORE}


@pytest.mark.parametrize(("control", "expected"), CLICKS, ids=lambda c: getattr(c, "key", ""))
def test_button_click(control, expected):
    assert control.key in controls.ACTION_IDS
    assert controls.clicked(control.key, "42", controls.block_id(42)) == expected
    assert control.request(42) == expected


@pytest.mark.parametrize(("control", "expected"), MENU, ids=lambda c: getattr(c, "key", ""))
def test_overflow_option(control, expected):
    value = controls.overflow_value(control, 42)
    assert value == f"{control.key}:42"
    assert controls.clicked(controls.OVERFLOW_ACTION, value, "ticket:42") == expected


@pytest.mark.parametrize("severity", list(Severity))
def test_severity_select(severity):
    request = controls.clicked(controls.SEVERITY_ACTION, severity.value, "ticket:42")
    assert request == r.SetSeverity(42, severity)


@pytest.mark.parametrize(
    ("action_id", "value", "block"),
    [
        ("ticket_borrar", "42", ""),
        (controls.OVERFLOW_ACTION, "borrar:42", ""),
        ("ticket_tomar", "abc", ""),
        (controls.SEVERITY_ACTION, "critico", "ticket:"),
        (controls.SEVERITY_ACTION, "urgente", "ticket:42"),
    ],
)
def test_unknown_clicks_are_errors(action_id, value, block):
    with pytest.raises(ValueError):
        controls.clicked(action_id, value, block)
