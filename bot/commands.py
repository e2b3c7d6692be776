"""`/hib2b` sub-commands, shared by Slack and the `hib2b` command line.

Spanish names with English aliases; case and accents do not matter; `HD-N` may be written `hd-n`
or `N`; text is the rest of the line. A sub-command answers text for the person who ran it, or
asks for a modal (Slack opens it; the command line says what to type instead)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot import blocks, clients, sla_report, team, workflow
from bot.blocks import Message, slack_date
from bot.deliveries import card_ticket
from bot.domain import (
    CAUSES,
    INCIDENT_BY_KEY,
    CloseKind,
    Severity,
    Source,
    Status,
    parse_ticket_code,
)
from bot.domain import ticket_code as code_of
from bot.form import clean, validate
from bot.mail import Attached, local_time
from bot.services import Services
from bot.text import slack_escape
from bot.tickets import act, create_from_form, submission
from bot.workflow import Actor, Change, Refused, mention
from store import clients as client_store
from store import sla as sla_store
from store import tickets as store
from store.db import Database, StorageUnavailable
from store.models import Ticket

USAGE = """*Comandos de /hib2b* (HD-N también se puede escribir `N`)
• `ayuda`: esta ayuda
• `ver HD-N`: el ticket, solo para usted
• `lista [abiertos|mios|sin-asignar|vencidos]`: tickets abiertos
• `sla [HD-N|publicar]`: el estado del SLA; un ticket explicado; publicarlo en el canal
• `tomar HD-N [@persona]`: tomarlo (un líder puede asignarlo a otra persona)
• `soltar HD-N`: dejarlo sin asignar
• `responder HD-N [texto]`: correo al proveedor (sin texto abre el formulario)
• `nota HD-N texto`: nota interna, nunca se envía al proveedor
• `llamada HD-N texto`: registrar una llamada con el proveedor
• `severidad HD-N bajo|medio-alto|critico [motivo]`
• `esperar HD-N [motivo]` / `reanudar HD-N`: en espera del proveedor, y de vuelta
• `cerrar HD-N`: abre el formulario de cierre (o `cerrar HD-N causa resumen…`,
  `cerrar HD-N spam`, `cerrar HD-N duplicado HD-M`)
• `reabrir HD-N motivo`
• `nuevo`: abrir un ticket para un proveedor que llamó o escribió (o, en la terminal,
  `nuevo telefono|correo correo@proveedor usuario tipo descripción…`)
• `equipo agregar|quitar|lista [@persona] [tecnico|lider]` (líderes)
• `cliente lista|ver|alta|suspender|reactivar|plan|aceptar …` (líderes)"""

ALIASES = {
    "ayuda": "ayuda",
    "help": "ayuda",
    "ver": "ver",
    "show": "ver",
    "lista": "lista",
    "list": "lista",
    "tomar": "tomar",
    "claim": "tomar",
    "soltar": "soltar",
    "release": "soltar",
    "responder": "responder",
    "reply": "responder",
    "nota": "nota",
    "note": "nota",
    "llamada": "llamada",
    "call": "llamada",
    "severidad": "severidad",
    "severity": "severidad",
    "esperar": "esperar",
    "wait": "esperar",
    "reanudar": "reanudar",
    "resume": "reanudar",
    "cerrar": "cerrar",
    "close": "cerrar",
    "reabrir": "reabrir",
    "reopen": "reabrir",
    "equipo": "equipo",
    "team": "equipo",
    "sla": "sla",
    "cliente": "cliente",
    "client": "cliente",
    "nuevo": "nuevo",
    "new": "nuevo",
}
LIST_FILTERS = {
    "abiertos": "abiertos",
    "open": "abiertos",
    "mios": "mios",
    "mine": "mios",
    "sin-asignar": "sin-asignar",
    "sin": "sin-asignar",
    "unassigned": "sin-asignar",
    "vencidos": "vencidos",
    "overdue": "vencidos",
}
SEVERITY_WORDS = {
    "bajo": Severity.BAJO,
    "low": Severity.BAJO,
    "medio-alto": Severity.MEDIO_ALTO,
    "medio": Severity.MEDIO_ALTO,
    "medioalto": Severity.MEDIO_ALTO,
    "critico": Severity.CRITICO,
    "critical": Severity.CRITICO,
}
# Sub-commands that show tickets (suppliers' names, addresses, descriptions): team only.
TEAM_ONLY = frozenset({"ver", "lista", "sla"})
TEAM_ONLY_ANSWER = "Solo el equipo de soporte puede ver los tickets."
STORAGE_BUSY = (
    "No se guardó nada: la base de datos no está disponible en este momento. "
    "Intente de nuevo en unos minutos."
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>|@?([UW][A-Z0-9]{2,})")
MAX_LIST = 30


@dataclass(frozen=True)
class Reply:
    text: str = ""
    modal: dict | None = None  # Slack opens it; elsewhere `text` says what to type
    refused: bool = False
    blocks: list[dict] | None = None  # a richer form of `text`, for Slack
    publish: Message | None = None  # to post in the support channel (`sla publicar`)
    errors: dict[str, str] | None = None  # per modal field, when a modal was refused


def normalize(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_mention(word: str) -> tuple[str, str] | None:
    """`<@U123|ana>` (Slack, should_escape), `<@U123>`, `@U123` or `U123` → (id, name)."""
    match = _MENTION.fullmatch(word.strip())
    if not match:
        return None
    return (match.group(1) or match.group(3), match.group(2) or "")


@dataclass(frozen=True)
class Call:
    """One `/hib2b` line being answered."""

    actor: Actor
    args: list[str]  # the words after the sub-command
    text: str  # everything after the sub-command, as typed (line breaks kept)
    context: str  # the Slack channel it came from
    for_slack: bool
    key: str | None  # the Slack request, so a retried one is not applied twice

    def rest(self, skip: int) -> str:
        """The text after `skip` more words."""
        text = self.text
        for _ in range(skip):
            parts = text.strip().split(None, 1)
            text = parts[1] if len(parts) > 1 else ""
        return text.strip()


# Sub-commands that are one workflow rule on `HD-N`, with the rest of the line as its text …
TEXT_RULES: dict[str, Callable[..., Change]] = {
    "nota": workflow.note,
    "llamada": workflow.call,
    "esperar": workflow.wait,
    "reabrir": workflow.reopen,
}
# … or with nothing more.
PLAIN_RULES: dict[str, Callable[..., Change]] = {
    "soltar": workflow.release,
    "reanudar": workflow.resume,
}


class Commands:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def db(self) -> Database:
        return self.services.db  # opened when the service starts, after listeners register

    async def run(
        self,
        actor: Actor,
        text: str,
        context: str = "",
        for_slack: bool = True,
        request_key: str | None = None,
    ) -> Reply:
        """Answer one `/hib2b …` line typed by `actor` (`context`: the Slack channel)."""
        words = text.split()
        if not words:
            return Reply(USAGE)
        name = ALIASES.get(normalize(words[0]))
        if name is None:
            return Reply(f"No conozco «{_safe(words[0], for_slack)}». {USAGE}")
        if name in TEAM_ONLY and actor.role is None:
            return Reply(TEAM_ONLY_ANSWER, refused=True)
        parts = text.strip().split(None, 1)
        call = Call(
            actor, words[1:], parts[1] if len(parts) > 1 else "", context, for_slack, request_key
        )
        try:
            if name in TEXT_RULES or name in PLAIN_RULES:
                return await self._rule(name, call)
            return await getattr(self, "_" + name)(call)
        except Refused as refusal:
            return Reply(refusal.message, refused=True)
        except StorageUnavailable:
            # Nothing was changed (the transaction rolled back): say so, rather than leave
            # Slack to show its own timeout.
            return Reply(STORAGE_BUSY, refused=True)

    async def _rule(self, name: str, call: Call) -> Reply:
        number, now, actor = self._number(call.args, name), self.services.now(), call.actor
        if name in PLAIN_RULES:
            rule = PLAIN_RULES[name]
            return await self._change(actor, number, lambda t: rule(t, actor, now), call.key)
        text = call.rest(1)
        rule = TEXT_RULES[name]
        return await self._change(actor, number, lambda t: rule(t, actor, text, now), call.key)

    # --- read-only ---------------------------------------------------------------------
    async def _ayuda(self, call: Call) -> Reply:
        return Reply(USAGE)

    async def _ver(self, call: Call) -> Reply:
        ticket = await self._ticket(call.args, "ver")
        attachments = await store.attachments_of(self.db, ticket.number)
        zone = self.services.settings.timezone
        text = describe(ticket, [a.display_name for a in attachments], zone, call.for_slack)
        if not call.for_slack:
            return Reply(text)
        # In Slack, the card itself (without its buttons): the supplier's words stay literal.
        return Reply(text, blocks=blocks.detail(card_ticket(ticket, attachments), zone))

    async def _lista(self, call: Call) -> Reply:
        words = [normalize(word) for word in call.args]
        client = None
        if words and words[-1] not in LIST_FILTERS:
            client = await client_store.get_client(self.db, words.pop())
            if client is None:
                raise Refused(f"No existe el cliente `{call.args[-1]}`.")
        which = LIST_FILTERS.get(words[0] if words else "abiertos")
        if which is None:
            raise Refused(
                "Use `lista abiertos`, `lista mios`, `lista sin-asignar` o `lista vencidos`."
            )
        if which == "vencidos":
            tickets = await sla_store.breached_tickets(self.db, self.services.now())
        else:
            tickets = await store.open_tickets(
                self.db,
                assignee=call.actor.user_id if which == "mios" else None,
                unassigned=which == "sin-asignar",
            )
        title = {
            "abiertos": "Tickets abiertos",
            "mios": "Mis tickets abiertos",
            "sin-asignar": "Tickets sin asignar",
            "vencidos": "Tickets con el SLA vencido",
        }[which]
        if client is not None:
            tickets = [t for t in tickets if t.client == client.key]
            title += f" de {client.name}"
        lines = [_list_line(t, call.for_slack) for t in tickets[:MAX_LIST]]
        if len(tickets) > MAX_LIST:
            lines.append(f"… y {len(tickets) - MAX_LIST} más.")
        return Reply(f"*{title} ({len(tickets)})*\n" + ("\n".join(lines) or "_Ninguno._"))

    async def _sla(self, call: Call) -> Reply:
        """`sla`, `sla HD-N`, `sla acme`, `sla publicar [acme]`."""
        zone, now, policies = (
            self.services.settings.timezone,
            self.services.now(),
            self.services.policies,
        )
        slack_when = partial(slack_date, zone=zone)
        when = slack_when if call.for_slack else partial(local_time, zone=zone)
        words = [normalize(word) for word in call.args]
        publish = bool(words) and words[0] in ("publicar", "publish")
        if publish and not call.actor.is_lead:
            raise Refused("Publicar el estado del SLA en el canal es para los líderes.")
        words = words[1:] if publish else words
        client = None
        if words and not publish and parse_ticket_code(words[0]) is not None:
            ticket = await self._ticket(words, "sla")
            async with self.db.read() as conn:
                audit = await store.audit_in(conn, ticket.number)
                reminders = await sla_store.reminders_of(conn, ticket.number)
                policy = await policies.for_ticket(conn, ticket)
            return Reply(sla_report.explain(ticket, audit, reminders, policy, now, when))
        if words:
            client = await client_store.get_client(self.db, words[0])
            if client is None:
                raise Refused(f"No existe el cliente `{call.args[-1]}`.")
        policy = policies.for_plan(client.plan) if client else policies.default
        report = await sla_report.gather(self.db, policy, now, client.key if client else None)
        title = f"SLA de {client.name}" if client else "SLA de la mesa de ayuda"
        message = sla_report.render(report, slack_when if publish else when, title)
        if publish:
            return Reply("Publiqué el estado del SLA en el canal de soporte.", publish=message)
        return Reply(message.text if call.for_slack else message.plain, blocks=message.blocks)

    # --- changes -----------------------------------------------------------------------
    async def _change(
        self,
        actor: Actor,
        number: int,
        decide: Callable[[Ticket], Change],
        key: str | None,
        attachments: tuple[Attached, ...] = (),
    ) -> Reply:
        """Apply a workflow rule; a refusal becomes the answer (callers outside `run` too)."""
        try:
            outcome = await act(
                self.db,
                number,
                actor,
                decide,
                self.services.now(),
                self.services.mail_ctx,
                self.services.policies,
                request_key=key,
                attachments=attachments,
            )
        except Refused as refusal:
            return Reply(refusal.message, refused=True)
        if outcome.applied:
            self.services.wake_outbox()
        return Reply(outcome.answer)

    async def reply(
        self,
        actor: Actor,
        number: int,
        text: str,
        attachments: tuple[Attached, ...],
        key: str | None,
    ) -> Reply:
        """Email the supplier (the reply modal, with its files, and `responder HD-N texto`)."""
        now, names = self.services.now(), tuple(a.name for a in attachments)
        return await self._change(
            actor, number, lambda t: workflow.reply(t, actor, text, now, names), key, attachments
        )

    async def _tomar(self, call: Call) -> Reply:
        number, actor = self._number(call.args, "tomar"), call.actor
        target, name = actor.user_id, actor.name
        if len(call.args) > 1:
            found = parse_mention(call.args[1])
            if found is None:
                raise Refused("Indique a la persona con @nombre: `/hib2b tomar HD-N @persona`.")
            target, name = found
        now = self.services.now()
        return await self._change(
            actor, number, lambda t: workflow.claim(t, actor, target, now, name), call.key
        )

    async def _responder(self, call: Call) -> Reply:
        number, text = self._number(call.args, "responder"), call.rest(1)
        if not text:
            ticket = await self._ticket(call.args, "responder")
            self._may_change(call.actor, ticket)
            return Reply(
                "Escriba el texto: `responder HD-N texto`.",
                blocks.reply_modal(_card(ticket), call.context),
            )
        return await self.reply(call.actor, number, text, (), call.key)

    async def _severidad(self, call: Call) -> Reply:
        number, actor = self._number(call.args, "severidad"), call.actor
        level = SEVERITY_WORDS.get(normalize(call.args[1])) if len(call.args) > 1 else None
        if level is None:
            raise Refused(
                "Indique la severidad: `severidad HD-N bajo|medio-alto|critico [motivo]`."
            )
        reason, now = call.rest(2), self.services.now()
        return await self._change(
            actor, number, lambda t: workflow.set_severity(t, actor, level, reason, now), call.key
        )

    async def _cerrar(self, call: Call) -> Reply:
        number, args = self._number(call.args, "cerrar"), call.args
        if len(args) < 2:
            ticket = await self._ticket(args, "cerrar")
            self._may_change(call.actor, ticket)
            return Reply(
                "Indique la causa y el resumen: `cerrar HD-N causa resumen…` "
                f"(causas: {', '.join(CAUSES)}), `cerrar HD-N spam` o "
                "`cerrar HD-N duplicado HD-M`.",
                blocks.close_modal(_card(ticket), call.context),
            )
        first = normalize(args[1])
        kind, cause, cause_text, summary, original = (
            CloseKind.RESUELTO,
            first,
            "",
            call.rest(2),
            None,
        )
        if first == CloseKind.SPAM:
            kind, cause, cause_text, summary = CloseKind.SPAM, "otra", "Spam", "Spam"
        elif first == CloseKind.DUPLICADO:
            original = parse_ticket_code(args[2]) if len(args) > 2 else None
            kind, cause, cause_text = CloseKind.DUPLICADO, "otra", "Duplicado"
            summary = f"Duplicado de {code_of(original or 0)}"
        return await self.close(
            call.actor,
            number,
            kind=kind,
            cause=cause,
            cause_text=cause_text,
            summary=summary,
            duplicate_of=original,
            key=call.key,
        )

    async def close(
        self,
        actor: Actor,
        number: int,
        *,
        kind: str,
        cause: str,
        cause_text: str,
        summary: str,
        duplicate_of: int | None,
        key: str | None,
    ) -> Reply:
        """Close a ticket (the close modal and `cerrar HD-N …` both end here)."""
        original = (
            duplicate_of is not None and await store.get_ticket(self.db, duplicate_of) is not None
        )
        now = self.services.now()
        return await self._change(
            actor,
            number,
            lambda t: workflow.close(
                t,
                actor,
                kind=kind,
                cause=cause,
                cause_text=cause_text,
                summary=summary,
                duplicate_of=duplicate_of,
                original_exists=original,
                now=now,
            ),
            key,
        )

    async def _equipo(self, call: Call) -> Reply:
        settings, args = self.services.settings, call.args
        verb = normalize(args[0]) if args else "lista"
        if verb in ("lista", "list"):
            return Reply(await team.listing(self.db, settings))
        person = parse_mention(args[1]) if len(args) > 1 else None
        if person is None:
            raise Refused("Indique a la persona: `/hib2b equipo agregar @persona tecnico`.")
        if verb in ("agregar", "add"):
            role = normalize(args[2]) if len(args) > 2 else "tecnico"
            role = {"technician": "tecnico", "lead": "lider"}.get(role, role)
            return Reply(
                await team.add(
                    self.db, settings, call.actor, person[0], role, person[1], self.services.now()
                )
            )
        if verb in ("quitar", "remove"):
            return Reply(await team.remove(self.db, settings, call.actor, person[0]))
        raise Refused("Use `equipo agregar`, `equipo quitar` o `equipo lista`.")

    async def _nuevo(self, call: Call) -> Reply:
        if call.actor.role is None:
            raise Refused("Solo el equipo de soporte puede abrir tickets desde aquí.")
        if not call.args:
            known = [(c.key, c.name) for c in await client_store.all_clients(self.db)]
            return Reply(
                "Use `nuevo telefono|correo correo@proveedor usuario tipo descripción…` "
                f"(tipos: {', '.join(INCIDENT_BY_KEY)}).",
                blocks.new_ticket_modal(known, call.context),
            )
        if len(call.args) < 5:
            raise Refused("Use `nuevo telefono|correo correo@proveedor usuario tipo descripción…`.")
        source, correo, usuario, tipo = call.args[:4]
        return await self.open_ticket(
            call.actor,
            {
                "origen": normalize(source),
                "correo": correo,
                "usuario": usuario,
                "tipo": tipo,
                "descripcion": call.rest(4),
            },
            call.key,
        )

    async def open_ticket(self, actor: Actor, fields: dict[str, str], key: str | None) -> Reply:
        """A ticket a technician opens for a supplier who phoned or wrote (the modal and the
        command line). The supplier gets the same confirmation as from the form."""
        if actor.role is None:
            return Reply("Solo el equipo de soporte puede abrir tickets desde aquí.", refused=True)
        values = clean(fields)
        errors = validate(values)
        source = fields.get("origen", "")
        if source not in (Source.TELEFONO, Source.CORREO):
            errors["origen"] = "Indique si el proveedor llamó (telefono) o escribió (correo)."
        severity = fields.get("severidad") or None
        if severity and severity not in {s.value for s in Severity}:
            errors["severidad"] = "La severidad debe ser bajo, medio-alto o critico."
        client = None
        if fields.get("cliente"):
            client = await client_store.get_client(self.db, fields["cliente"])
            if client is None:
                errors["cliente"] = f"No existe el cliente `{fields['cliente']}`."
        if errors:
            return Reply(" ".join(errors.values()), refused=True, errors=errors)
        now = self.services.now()
        created = await create_from_form(
            self.db,
            submission(
                values,
                client,
                form_id=key,
                client_ip="",
                source=Source(source),
                severity=severity,
                opened_by=actor.user_id,
                contact_now=source == Source.TELEFONO,
            ),
            now,
            self.services.mail_ctx,
            self.services.policies.of(client),
        )
        self.services.wake_outbox()
        return Reply(
            f"Creé {code_of(created.number)}; el proveedor recibirá la confirmación por correo."
        )

    async def _cliente(self, call: Call) -> Reply:
        args, now, actor = call.args, self.services.now(), call.actor
        verb = normalize(args[0]) if args else "lista"
        if verb in ("lista", "list"):
            found = await client_store.all_clients(self.db)
            lines = [f"• `{c.key}` · {c.name} · {c.status}" for c in found]
            return Reply(f"*Clientes ({len(found)})*\n" + ("\n".join(lines) or "_Ninguno._"))
        if verb in ("aceptar", "accept"):
            number = self._number(args[1:], "cliente aceptar")
            return await self._change(
                actor, number, lambda t: workflow.accept(t, actor, now), call.key
            )
        if len(args) < 2:
            raise Refused("Indique el cliente: `/hib2b cliente ver acme`.")
        key = args[1]
        if verb in ("ver", "show"):
            client = await client_store.get_client(self.db, key.lower())
            if client is None:
                raise Refused(f"No existe el cliente `{key}`.")
            return Reply(clients.describe(client))
        if verb in ("alta", "add"):
            if len(args) < 4:
                raise Refused("Use `cliente alta clave host[,host] Nombre del cliente`.")
            return Reply(
                await clients.add(self.db, actor, key, call.rest(3), args[2].split(","), now)
            )
        if verb in ("suspender", "suspend"):
            return Reply(await clients.set_status(self.db, actor, key, clients.SUSPENDIDO, now))
        if verb in ("reactivar", "reactivate"):
            return Reply(await clients.set_status(self.db, actor, key, clients.VIGENTE, now))
        if verb == "plan":
            return Reply(
                await clients.set_plan(self.db, self.services.policies, actor, key, args[2:], now)
            )
        raise Refused("Use `cliente lista|ver|alta|suspender|reactivar|plan|aceptar`.")

    async def modal(self, actor: Actor, which: str, number_text: str, context: str) -> Reply:
        """The modal behind a card control, once it is clear the actor may use it."""
        try:
            ticket = await self._ticket(number_text.split(), which)
            if actor.role is None:
                raise Refused("Solo el equipo de soporte puede cambiar tickets.")
            card = _card(ticket)
            if which == "nota":
                return Reply(modal=blocks.note_modal(card, context))
            if which == "reabrir":
                if ticket.status != Status.CERRADO:
                    raise Refused(f"{code_of(ticket.number)} está abierto.")
                return Reply(modal=blocks.reopen_modal(card, context))
            self._may_change(actor, ticket)
            if which == "reasignar":
                if not actor.is_lead:
                    raise Refused("Solo un líder puede asignar tickets a otra persona.")
                return Reply(modal=blocks.assign_modal(card, context))
            if which == "llamada":
                return Reply(modal=blocks.call_modal(card, context))
        except Refused as refusal:
            return Reply(refusal.message, refused=True)
        raise ValueError(f"no modal called {which!r}")

    # --- helpers -----------------------------------------------------------------------
    def _number(self, args: list[str], verb: str) -> int:
        number = parse_ticket_code(args[0]) if args else None
        if number is None:
            raise Refused(f"Indique el ticket: `/hib2b {verb} HD-N`.")
        return number

    async def _ticket(self, args: list[str], verb: str) -> Ticket:
        number = self._number(args, verb)
        ticket = await store.get_ticket(self.db, number)
        if ticket is None:
            raise Refused(f"No existe el ticket {code_of(number)}.")
        return ticket

    def _may_change(self, actor: Actor, ticket: Ticket) -> None:
        """Checked before a modal opens, so nobody fills in a form that will be refused."""
        if actor.role is None:
            raise Refused("Solo el equipo de soporte puede cambiar tickets.")
        if ticket.status == Status.CERRADO:
            raise Refused(f"{code_of(ticket.number)} está cerrado.")


def _safe(text: str, for_slack: bool) -> str:
    return slack_escape(text) if for_slack else text


def _card(ticket: Ticket) -> blocks.CardTicket:
    return card_ticket(ticket, [])


def _list_line(ticket: Ticket, for_slack: bool) -> str:
    who = mention(ticket.assignee) if ticket.assignee else "sin asignar"
    return (
        f"• *{code_of(ticket.number)}* · {INCIDENT_BY_KEY[ticket.tipo].label} · "
        f"{Severity(ticket.severity).label} · {Status(ticket.status).label} · {who} · "
        f"{_safe(ticket.usuario, for_slack)}"
    )


def describe(ticket: Ticket, attachments: list[str], zone: str, for_slack: bool) -> str:
    safe = partial(_safe, for_slack=for_slack)
    lines = [
        f"*{code_of(ticket.number)}* · {INCIDENT_BY_KEY[ticket.tipo].label}",
        f"Severidad: {Severity(ticket.severity).label} · Estado: {Status(ticket.status).label}"
        f" · Asignado a: {mention(ticket.assignee) if ticket.assignee else 'nadie'}",
        f"Proveedor: {safe(ticket.usuario)} · Correo: {safe(ticket.correo)}",
        f"Liga portal: {safe(ticket.liga_portal) or '—'}",
        f"Recibido: {local_time(ticket.created_at, zone)}",
    ]
    if ticket.first_contact_at:
        lines.append(f"Primer contacto: {local_time(ticket.first_contact_at, zone)}")
    if ticket.closed_at:
        lines.append(
            f"Cerrado: {local_time(ticket.closed_at, zone)} · "
            f"{CloseKind(ticket.close_kind or 'resuelto').label} · "
            f"Causa: {safe(ticket.close_cause or '')}"
        )
    lines.append(f"Descripción: {safe(ticket.descripcion)}")
    if attachments:
        lines.append("Adjuntos: " + ", ".join(safe(name) for name in attachments))
    return "\n".join(lines)
