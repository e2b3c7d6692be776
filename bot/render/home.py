"""App Home as a Block Kit `home` view: «Mis tickets», «Sin asignar» and «Por vencer», each
ticket with its deadline and a button, and for leads the SLA summary. Pure.

A view holds at most 100 blocks and a section 3,000 characters: each list shows `SHOWN`
tickets (a section each) and says how many more there are with the command that lists them
all, so the whole view stays within ~70 blocks whatever the desk's size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain import controls
from bot.domain.change import mention
from bot.domain.clocks import CLOCK_LABELS
from bot.domain.home import SHOWN, Home, Listed
from bot.domain.terms import INCIDENT_BY_KEY, STATUS_LABELS, Severity, Status, ticket_code
from bot.domain.text import shorten, slack_escape
from bot.render import kit
from bot.render.kit import Block

MAX_BLOCKS = 100
USUARIO_SHOWN = 60  # characters of the supplier's user name on a line
TAKE, REPLY = controls.BUTTONS[0], controls.BUTTONS[1]
When = Callable[[datetime], str]
_SEVERITY = {severity.value: severity.label for severity in Severity}


def view(home: Home, when: When) -> dict:
    """The `home` view for `views.publish`. `when` writes a deadline (`<!date…>`)."""
    if not home.on_team:
        return _view(
            [
                kit.header("Mesa de ayuda HiB2B"),
                kit.section(
                    "Esta app es del equipo de soporte del Portal de Proveedores HiB2B. "
                    "Si necesita ayuda con el portal, use el formulario «Ayuda con el portal»."
                ),
            ]
        )
    blocks: list[Block] = [kit.header("Mesa de ayuda HiB2B")]
    shift = ", ".join(mention(user) for user in home.on_shift[:SHOWN]) or "nadie"
    more = len(home.on_shift) - SHOWN
    blocks.append(
        kit.context(
            f"En turno: {shift}"
            + (f" y {more} más" if more > 0 else "")
            + " · `/hib2b turno entrar|salir`"
        )
    )
    blocks += _list("Mis tickets", home.mine, home.mine_total, "/hib2b lista mios", when, REPLY.key)
    blocks += _list(
        "Sin asignar",
        home.unassigned,
        home.unassigned_total,
        "/hib2b lista sin-asignar",
        when,
        TAKE.key,
    )
    blocks += _list("Por vencer", home.due_soon, home.due_soon_total, "/hib2b sla", when, None)
    if home.is_lead and home.sla_blocks:
        blocks.append({"type": "divider"})
        room = MAX_BLOCKS - len(blocks) - 1
        blocks += home.sla_blocks[:room]
    blocks.append(kit.context("Se actualiza al abrir esta pestaña y después de cada acción suya."))
    return _view(blocks[:MAX_BLOCKS])


def _view(blocks: list[Block]) -> dict:
    return {"type": "home", "blocks": blocks}


def _list(
    title: str,
    tickets: list[Listed],
    total: int,
    command: str,
    when: When,
    action: str | None,
) -> list[Block]:
    blocks: list[Block] = [{"type": "divider"}, kit.section(f"*{title} ({total})*")]
    if not tickets:
        blocks.append(kit.context("_Ninguno._"))
        return blocks
    for listed in tickets[:SHOWN]:
        blocks.append(_line(listed, when, action))
    more = total - min(len(tickets), SHOWN)
    if more > 0:
        blocks.append(kit.context(f"… y {more} más: `{command}`"))
    return blocks


def _line(listed: Listed, when: When, action: str | None) -> Block:
    code = ticket_code(listed.number)
    if listed.card is not None:
        channel, ts = listed.card
        # A link to the card in its channel, without asking Slack for a permalink per ticket.
        code = f"<https://slack.com/archives/{channel}/p{ts.replace('.', '')}|{code}>"
    incident = INCIDENT_BY_KEY.get(listed.tipo)
    usuario, _ = shorten(listed.usuario, USUARIO_SHOWN)
    parts = [
        f"*{code}*",
        incident.label if incident else listed.tipo,
        _SEVERITY.get(listed.severity, listed.severity),
        slack_escape(usuario),
    ]
    if listed.due is not None and listed.clock is not None:
        verb = "venció" if listed.overdue else "vence"
        parts.append(f"{CLOCK_LABELS.get(listed.clock, listed.clock)} {verb} {when(listed.due)}")
    else:
        parts.append(STATUS_LABELS.get(Status(listed.status), listed.status))
    block = kit.section(" · ".join(parts))
    if action is not None:
        label = TAKE.label if action == TAKE.key else REPLY.label
        block["accessory"] = kit.button(label, action, str(listed.number), primary=False)
    return block
