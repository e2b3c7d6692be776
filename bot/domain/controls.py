"""The card's controls and the modals' inputs, declared once: the renderer draws them from here
and the Slack listeners turn a click or a submission into a request from here.

A control is an action id (or an overflow option), a label and the request it stands for. A
modal is its `Form` (callback id), and a function from its submitted values to a request; the
block ids of its inputs are the field names a refusal points at (`bot.domain.change`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from bot.domain import requests as r
from bot.domain.change import CAUSE, CAUSE_TEXT, DUPLICATE, KIND, TEMPLATE, TEXT, USER, Refused
from bot.domain.requests import Form
from bot.domain.terms import CloseKind, Severity, Status, parse_ticket_code, ticket_code


@dataclass(frozen=True)
class Control:
    key: str  # a button's action_id, or an overflow option's verb
    label: str
    request: Callable[[int], r.Request]  # from the ticket's number
    primary: bool = False


BUTTONS = (
    Control("ticket_tomar", "Tomar", lambda n: r.Claim(n), primary=True),
    Control("ticket_responder", "Responder", lambda n: r.OpenForm(Form.REPLY, n)),
    Control("ticket_nota", "Nota interna", lambda n: r.OpenForm(Form.NOTE, n)),
    Control("ticket_cerrar", "Cerrar", lambda n: r.OpenForm(Form.CLOSE, n)),
)
REOPEN = Control("ticket_reabrir", "Reabrir", lambda n: r.OpenForm(Form.REOPEN, n))
SEVERITY_ACTION = "ticket_severidad"
OVERFLOW_ACTION = "ticket_mas"
DUPLICATE_ACTION = "ticket_duplicado"  # «Cerrar como duplicado»: value `number:original`
# The card's "more" menu; `esperar` or `reanudar`, whichever the status allows.
MORE = (
    Control("llamada", "Llamada", lambda n: r.OpenForm(Form.CALL, n)),
    Control("esperar", "Esperar", lambda n: r.Wait(n)),
    Control("reanudar", "Reanudar", lambda n: r.Resume(n)),
    Control("soltar", "Soltar", lambda n: r.Release(n)),
    Control("reasignar", "Reasignar", lambda n: r.OpenForm(Form.ASSIGN, n)),
)
_BY_KEY = {control.key: control for control in (*BUTTONS, REOPEN, *MORE)}
# Every action id a card can send back.
ACTION_IDS = (
    *(control.key for control in (*BUTTONS, REOPEN)),
    SEVERITY_ACTION,
    OVERFLOW_ACTION,
    DUPLICATE_ACTION,
)


def close_as_duplicate(number: int, original: int) -> r.Close:
    """`cerrar HD-N duplicado HD-M`, and the card's «Cerrar como duplicado»: the normal close,
    its email included."""
    return r.Close(
        number,
        CloseKind.DUPLICADO,
        "otra",
        f"Duplicado de {ticket_code(original)}",
        cause_text="Duplicado",
        duplicate_of=original,
    )


def duplicate_value(number: int, original: int) -> str:
    return f"{number}:{original}"


def more_for(status: Status) -> tuple[Control, ...]:
    hidden = "esperar" if status is Status.ESPERANDO else "reanudar"
    return tuple(control for control in MORE if control.key != hidden)


def overflow_value(control: Control, number: int) -> str:
    return f"{control.key}:{number}"


def block_id(number: int) -> str:
    """The card's actions block: it says which ticket the severity select is about."""
    return f"ticket:{number}"


def clicked(action_id: str, value: str, block: str = "") -> r.Request:
    """The request behind a click: a button (`value` = the ticket's number), the severity
    select (`value` = the severity, `block` = the card's actions block) or an overflow option
    (`value` = `verb:number`)."""
    if action_id == SEVERITY_ACTION:
        return r.SetSeverity(_number(block.partition(":")[2]), Severity(value))
    if action_id == OVERFLOW_ACTION:
        key, _, number = value.partition(":")
        return _control(key).request(_number(number))
    if action_id == DUPLICATE_ACTION:
        number, _, original = value.partition(":")
        return replace(close_as_duplicate(_number(number), _number(original)), only_if_open=True)
    return _control(action_id).request(_number(value))


# --- modals -------------------------------------------------------------------------------
NEW_FIELDS = (
    "descripcion",
    "usuario",
    "correo",
    "liga_portal",
    "tipo",
    "cliente",
    "severidad",
    "origen",
)


def _close(number: int, values: Mapping[str, str]) -> r.Request:
    # The original counts only for a duplicate: text left in its box otherwise is ignored.
    original = values.get(DUPLICATE, "").strip() if values.get(KIND) == CloseKind.DUPLICADO else ""
    duplicate = parse_ticket_code(original) if original else None
    if original and duplicate is None:
        raise Refused("Escriba el ticket original como HD-N.", DUPLICATE)
    return r.Close(
        number,
        kind=values.get(KIND, ""),
        cause=values.get(CAUSE, ""),
        summary=values.get(TEXT, ""),
        cause_text=values.get(CAUSE_TEXT, ""),
        duplicate_of=duplicate,
    )


# Form → the request its submitted values stand for (files of the reply modal are added by the
# listener, which downloads them). `number` comes from the modal's private metadata.
SUBMITTED: dict[Form, Callable[[int, Mapping[str, str]], r.Request]] = {
    Form.REPLY: lambda n, v: r.Reply(n, v.get(TEXT, ""), template=v.get(TEMPLATE, "")),
    Form.NOTE: lambda n, v: r.Note(n, v.get(TEXT, "")),
    Form.CALL: lambda n, v: r.Call(n, v.get(TEXT, "")),
    Form.REOPEN: lambda n, v: r.Reopen(n, v.get(TEXT, "")),
    Form.ASSIGN: lambda n, v: r.Claim(n, target=v.get(USER) or None),
    Form.CLOSE: _close,
    Form.NEW: lambda n, v: r.OpenTicket({name: v.get(name, "") for name in NEW_FIELDS}),
}
# The input a refusal without a field of its own is shown on.
MAIN_INPUT = {Form.ASSIGN: USER, Form.NEW: "descripcion"}


def submitted(form: Form, number: int, values: Mapping[str, str]) -> r.Request:
    return SUBMITTED[form](number, values)


def _control(key: str) -> Control:
    control = _BY_KEY.get(key)
    if control is None:
        raise ValueError(f"no control called {key!r}")
    return control


def _number(text: str) -> int:
    number = parse_ticket_code(text)
    if number is None:
        raise ValueError(f"not a ticket number: {text!r}")
    return number
