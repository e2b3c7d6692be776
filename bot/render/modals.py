"""The technicians' modals, built with `slack_sdk.models` (limits checked on render). Each
modal's callback id is its `Form`, and its inputs' block ids are the field names the requests
and refusals use (`bot.domain.controls`, `bot.domain.change`). Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.domain.change import CAUSE, CAUSE_TEXT, DUPLICATE, FILES, KIND, TEMPLATE, TEXT, USER
from bot.domain.requests import Form
from bot.domain.terms import (
    CAUSES,
    INCIDENT_BY_KEY,
    INCIDENT_TYPES,
    CloseKind,
    Severity,
    ticket_code,
)
from bot.domain.text import slack_escape
from bot.render.card import CardTicket

MAX_REPLY_FILES = 5


def _modal(
    callback: Form, title: str, submit: str, ticket: CardTicket, inputs: list[Block], context: str
) -> dict:
    """A modal about one ticket: its heading, then `inputs`. `private_metadata` carries the
    ticket and the channel to answer in."""
    view = View(
        type="modal",
        callback_id=callback.value,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancelar"),
        private_metadata=f"{ticket.number}|{context}",
        blocks=[_heading(ticket), *inputs],
    )
    return view.to_dict()


def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = True,
    optional: bool = False,
    hint: str | None = None,
    placeholder: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(
            action_id=block_id, multiline=multiline, max_length=3000, placeholder=placeholder
        ),
    )


def _heading(ticket: CardTicket) -> SectionBlock:
    tipo = INCIDENT_BY_KEY[ticket.tipo].label
    return SectionBlock(
        text=MarkdownTextObject(
            text=f"*{ticket_code(ticket.number)}* · {slack_escape(tipo)} · "
            f"{slack_escape(ticket.usuario)} ({slack_escape(ticket.correo)})"
        )
    )


def reply_modal(
    ticket: CardTicket, context: str, templates: tuple[str, ...] = (), text: str = ""
) -> dict:
    """`text`: the message filled in (a template chosen with `responder HD-N /nombre`), for
    the technician to read and change before it goes."""
    code = ticket_code(ticket.number)
    message = _text_input(
        TEXT,
        "Mensaje para el proveedor",
        optional=bool(templates),
        hint="Se envía por correo tal como lo escriba."
        + (" Con una plantilla, va debajo de ella." if templates else ""),
    )
    if text:
        message.element.initial_value = text[:3000]
    chosen = []
    if templates:
        options = [Option(text=name, value=name) for name in templates[:100]]
        chosen = [
            InputBlock(
                block_id=TEMPLATE,
                label="Plantilla",
                optional=True,
                hint="Se llena con los datos de este ticket y se envía arriba de su mensaje.",
                element=StaticSelectElement(
                    action_id=TEMPLATE, placeholder="Sin plantilla", options=options
                ),
            )
        ]
    return _modal(
        Form.REPLY,
        f"Responder {code}",
        "Enviar",
        ticket,
        [
            *chosen,
            message,
            InputBlock(
                block_id=FILES,
                label="Archivos adjuntos",
                optional=True,
                element=FileInputElement(action_id=FILES, max_files=MAX_REPLY_FILES),
            ),
        ],
        context,
    )


def note_modal(ticket: CardTicket, context: str) -> dict:
    return _modal(
        Form.NOTE,
        "Nota interna",
        "Guardar",
        ticket,
        [
            _text_input(TEXT, "Nota", hint="Solo la ve el equipo; nunca se envía al proveedor."),
        ],
        context,
    )


def call_modal(ticket: CardTicket, context: str) -> dict:
    return _modal(
        Form.CALL,
        "Registrar llamada",
        "Registrar",
        ticket,
        [_text_input(TEXT, "¿De qué se habló?")],
        context,
    )


def reopen_modal(ticket: CardTicket, context: str) -> dict:
    return _modal(
        Form.REOPEN,
        f"Reabrir {ticket_code(ticket.number)}",
        "Reabrir",
        ticket,
        [_text_input(TEXT, "Motivo", hint="Se le informa al proveedor.")],
        context,
    )


def assign_modal(ticket: CardTicket, context: str) -> dict:
    return _modal(
        Form.ASSIGN,
        "Reasignar",
        "Asignar",
        ticket,
        [
            InputBlock(
                block_id=USER,
                label="Asignar a",
                element=UserSelectElement(action_id=USER, placeholder="Técnico"),
            ),
        ],
        context,
    )


def close_modal(ticket: CardTicket, context: str) -> dict:
    kinds = [Option(text=kind.label, value=kind.value) for kind in CloseKind]
    causes = [Option(text=label, value=key) for key, label in CAUSES.items()]
    return _modal(
        Form.CLOSE,
        f"Cerrar {ticket_code(ticket.number)}",
        "Cerrar ticket",
        ticket,
        [
            InputBlock(
                block_id=KIND,
                label="Resultado",
                element=RadioButtonsElement(action_id=KIND, options=kinds, initial_option=kinds[0]),
            ),
            _text_input(
                TEXT,
                "Resumen de la resolución",
                hint="Se envía al proveedor en el correo de cierre.",
            ),
            InputBlock(
                block_id=CAUSE,
                label="Causa raíz",
                element=StaticSelectElement(
                    action_id=CAUSE, placeholder="Seleccione", options=causes
                ),
            ),
            _text_input(
                CAUSE_TEXT,
                "Detalle de la causa",
                multiline=False,
                optional=True,
                hint="Obligatorio si la causa es «Otra».",
            ),
            _text_input(
                DUPLICATE,
                "Ticket original (si es duplicado)",
                multiline=False,
                optional=True,
                placeholder="HD-123",
            ),
        ],
        context,
    )


def new_ticket_modal(clients: list[tuple[str, str]], context: str) -> dict:
    """`/hib2b nuevo`: the form's fields, plus client, severity and how the supplier reached us.
    `clients`: (key, name) pairs."""
    types = [Option(text=t.label, value=t.key) for t in INCIDENT_TYPES]
    severities = [Option(text=f"{s.label}", value=s.value) for s in Severity]
    sources = [
        Option(text="Llamada en curso (cuenta como primer contacto)", value="telefono"),
        Option(text="Correo recibido", value="correo"),
    ]
    inputs: list[Block] = [
        InputBlock(
            block_id="origen",
            label="¿Cómo llegó?",
            element=RadioButtonsElement(
                action_id="origen", options=sources, initial_option=sources[0]
            ),
        ),
        _text_input("descripcion", "Descripción del Incidente"),
        _text_input("usuario", "Usuario, RFC o Razón Social", multiline=False),
        _text_input(
            "correo",
            "Correo Contacto",
            multiline=False,
            hint="Recibe la confirmación con el número de ticket.",
        ),
        _text_input("liga_portal", "Liga Portal", multiline=False, optional=True),
        InputBlock(
            block_id="tipo",
            label="Tipo de incidente",
            element=StaticSelectElement(action_id="tipo", placeholder="Seleccione", options=types),
        ),
        InputBlock(
            block_id="severidad",
            label="Severidad",
            optional=True,
            hint="Si la deja vacía, la del tipo de incidente.",
            element=StaticSelectElement(
                action_id="severidad", placeholder="Por tipo", options=severities
            ),
        ),
    ]
    if clients:
        options = [Option(text=name[:75], value=key) for key, name in clients[:100]]
        inputs.append(
            InputBlock(
                block_id="cliente",
                label="Cliente",
                optional=True,
                element=StaticSelectElement(
                    action_id="cliente", placeholder="Sin cliente", options=options
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=Form.NEW.value,
        title=PlainTextObject(text="Nuevo ticket"),
        submit=PlainTextObject(text="Crear"),
        close=PlainTextObject(text="Cancelar"),
        private_metadata=f"0|{context}",
        blocks=inputs,
    )
    return view.to_dict()
