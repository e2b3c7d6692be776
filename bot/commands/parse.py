"""The `/hib2b` grammar: one typed line in, one request out. Pure.

Spanish names with English aliases; case and accents do not matter; `HD-N` may be written
`hd-n` or `N`; free text is the rest of the line, line breaks kept. A line that does not say
enough raises `Refused` with the usage of that sub-command."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time

from bot.domain import controls
from bot.domain import requests as r
from bot.domain.change import DUPLICATE, Refused
from bot.domain.requests import Form, Listing
from bot.domain.terms import (
    SUSPENDIDO,
    VIGENTE,
    CloseKind,
    Severity,
    parse_ticket_code,
)
from bot.domain.text import fold

NEW_USAGE = "Use `nuevo telefono|correo correo@proveedor usuario tipo descripción…`"
LIST_FILTERS = {
    "abiertos": Listing.OPEN,
    "open": Listing.OPEN,
    "mios": Listing.MINE,
    "mine": Listing.MINE,
    "sin-asignar": Listing.UNASSIGNED,
    "sin": Listing.UNASSIGNED,
    "unassigned": Listing.UNASSIGNED,
    "vencidos": Listing.BREACHED,
    "overdue": Listing.BREACHED,
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
PERIOD_WORDS = {"semana": "semana", "week": "semana", "mes": "mes", "month": "mes"}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>|@?([UW][A-Z0-9]{2,})")


normalize = fold


def parse_mention(word: str) -> tuple[str, str] | None:
    """`<@U123|ana>` (Slack, should_escape), `<@U123>`, `@U123` or `U123` → (id, name)."""
    match = _MENTION.fullmatch(word.strip())
    if not match:
        return None
    return (match.group(1) or match.group(3), match.group(2) or "")


class Line:
    """The words after the sub-command, and the text as typed (line breaks kept)."""

    def __init__(self, verb: str, text: str) -> None:
        self.verb = verb
        self.text = text
        self.args = text.split()

    def rest(self, skip: int) -> str:
        """The text after `skip` words."""
        text = self.text
        for _ in range(skip):
            parts = text.strip().split(None, 1)
            text = parts[1] if len(parts) > 1 else ""
        return text.strip()

    def number(self, at: int = 0) -> int:
        number = parse_ticket_code(self.args[at]) if len(self.args) > at else None
        if number is None:
            raise Refused(f"Indique el ticket: `/hib2b {self.verb} HD-N`.")
        return number

    def word(self, at: int, default: str = "") -> str:
        return normalize(self.args[at]) if len(self.args) > at else default


def _ver(line: Line) -> r.Request:
    return r.Show(line.number())


def _lista(line: Line) -> r.Request:
    words = [normalize(word) for word in line.args]
    client = words.pop() if words and words[-1] not in LIST_FILTERS else None
    which = LIST_FILTERS.get(words[0] if words else "abiertos")
    if which is None:
        raise Refused("Use `lista abiertos`, `lista mios`, `lista sin-asignar` o `lista vencidos`.")
    return r.ListTickets(which, client)


def _sla(line: Line) -> r.Request:
    """`sla`, `sla HD-N`, `sla acme`, `sla publicar [acme]`."""
    words = [normalize(word) for word in line.args]
    publish = bool(words) and words[0] in ("publicar", "publish")
    words = words[1:] if publish else words
    number = parse_ticket_code(words[0]) if words else None
    if number is not None and publish:
        raise Refused("Se publica el estado de la mesa o de un cliente; un ticket: `sla HD-N`.")
    if number is not None:
        return r.SlaStatus(number=number)
    return r.SlaStatus(client=words[0] if words else None, publish=publish)


def _span_and_rest(line: Line, flags: tuple[str, ...]) -> tuple[r.Span, dict[str, str], list[str]]:
    """`semana`, `mes` or `--desde D --hasta D`; the other `--flag value` pairs; the words
    left (normalized)."""
    words, options = [], {}
    args = iter(line.args)
    for arg in args:
        if arg.startswith("--"):
            flag, _, value = arg[2:].partition("=")
            flag = normalize(flag)
            if flag not in ("desde", "hasta", *flags):
                raise Refused(f"No conozco `--{flag}`.")
            options[flag] = value or next(args, "")
        else:
            words.append(normalize(arg))
    if "desde" in options or "hasta" in options:
        try:
            since = date.fromisoformat(options.pop("desde", ""))
            until = date.fromisoformat(options.pop("hasta", ""))
        except ValueError:
            raise Refused(
                "Indique las dos fechas: `--desde AAAA-MM-DD --hasta AAAA-MM-DD`."
            ) from None
        if until < since:
            raise Refused("La fecha final es anterior a la inicial.")
        return r.Span("", since, until), options, words
    word = "semana"
    if words and words[0] in PERIOD_WORDS:
        word = PERIOD_WORDS[words.pop(0)]
    return r.Span(word), options, words


def _reporte(line: Line) -> r.Request:
    span, options, words = _span_and_rest(line, ("cliente",))
    publish = any(word in ("publicar", "publish") for word in words)
    words = [word for word in words if word not in ("publicar", "publish")]
    client = options.get("cliente") or (words.pop(0) if words else None)
    if words:
        raise Refused(
            "Use `reporte [semana|mes] [cliente] [publicar]` o "
            "`reporte --desde AAAA-MM-DD --hasta AAAA-MM-DD [--cliente clave]`."
        )
    return r.AskReport(span, client.lower() if client else None, publish)


def _exportar(line: Line) -> r.Request:
    span, options, words = _span_and_rest(line, ("cliente",))
    fmt = "xlsx"
    for word in list(words):
        suffix = word.rsplit(".", 1)[-1]
        if suffix in ("xlsx", "csv"):
            fmt = suffix
            words.remove(word)
    client = options.get("cliente") or (words.pop(0) if words else None)
    if words:
        raise Refused(
            "Use `exportar [semana|mes] [cliente] [xlsx|csv]` o "
            "`exportar --desde AAAA-MM-DD --hasta AAAA-MM-DD [--cliente clave] [xlsx|csv]`."
        )
    return r.AskExport(span, client.lower() if client else None, fmt)


_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _llamada(line: Line) -> r.Request:
    """`llamada HD-N [HH:MM] texto`: the time of a call made earlier today."""
    number = line.number()
    said = _CLOCK_TIME.fullmatch(line.args[1]) if len(line.args) > 1 else None
    if said is None:
        return r.Call(number, line.rest(1))
    return r.Call(number, line.rest(2), time(int(said.group(1)), int(said.group(2))))


def _tomar(line: Line) -> r.Request:
    number = line.number()
    if len(line.args) < 2:
        return r.Claim(number)
    found = parse_mention(line.args[1])
    if found is None:
        raise Refused("Indique a la persona con @nombre: `/hib2b tomar HD-N @persona`.")
    return r.Claim(number, target=found[0], target_name=found[1])


def _responder(line: Line) -> r.Request:
    """`responder HD-N [texto]`, `responder HD-N /plantilla [texto debajo]`."""
    number, text = line.number(), line.rest(1)
    if text.startswith("/"):
        name = text[1:].split(None, 1)[0]
        below = text[1 + len(name) :].strip()
        return r.Reply(number, below, template=name.lower(), review=not below)
    return r.Reply(number, text) if text else r.OpenForm(Form.REPLY, number)


def _turno(line: Line) -> r.Request:
    action = {"in": "entrar", "out": "salir", "list": "lista"}.get(line.word(0), line.word(0))
    if action not in ("entrar", "salir", "lista", ""):
        raise Refused("Use `turno entrar`, `turno salir` o `turno lista`.")
    return r.Shift(action or "lista")


def _fusionar(line: Line) -> r.Request:
    source = parse_ticket_code(line.args[0]) if line.args else None
    target = parse_ticket_code(line.args[1]) if len(line.args) > 1 else None
    if source is None or target is None:
        raise Refused("Indique los dos tickets: `/hib2b fusionar HD-A HD-B` (A se une a B).")
    return r.Merge(source, target)


def _plantilla(line: Line) -> r.Request:
    verb = line.word(0, "lista")
    if verb in ("lista", "list"):
        return r.TemplateList()
    if len(line.args) < 2:
        raise Refused("Indique la plantilla: `/hib2b plantilla ver contrasena`.")
    name = line.args[1].lower().lstrip("/")
    if verb in ("ver", "show"):
        return r.TemplateShow(name)
    if verb in ("agregar", "add"):
        return r.TemplateAdd(name, line.rest(2))
    if verb in ("quitar", "remove"):
        return r.TemplateRemove(name)
    raise Refused("Use `plantilla lista`, `plantilla ver`, `plantilla agregar` o `quitar`.")


def _severidad(line: Line) -> r.Request:
    number = line.number()
    level = SEVERITY_WORDS.get(line.word(1))
    if level is None:
        raise Refused("Indique la severidad: `severidad HD-N bajo|medio-alto|critico [motivo]`.")
    return r.SetSeverity(number, level, line.rest(2))


def _cerrar(line: Line) -> r.Request:
    number = line.number()
    if len(line.args) < 2:
        return r.OpenForm(Form.CLOSE, number)
    first = line.word(1)
    if first == CloseKind.SPAM:
        return r.Close(number, CloseKind.SPAM, "otra", "Spam", cause_text="Spam")
    if first == CloseKind.DUPLICADO:
        original = parse_ticket_code(line.args[2]) if len(line.args) > 2 else None
        if original is None:
            raise Refused("Indique el ticket original: `cerrar HD-N duplicado HD-M`.", DUPLICATE)
        return controls.close_as_duplicate(number, original)
    if first == "otra":
        # The cause is free text too: it and the summary are told apart by a bar.
        cause, bar, summary = line.rest(2).partition("|")
        if not bar or not cause.strip() or not summary.strip():
            raise Refused(
                "Con la causa `otra`, escriba la causa y el resumen separados por `|`: "
                "`cerrar HD-N otra causa | resumen`."
            )
        return r.Close(number, CloseKind.RESUELTO, "otra", summary.strip(), cause.strip())
    return r.Close(number, CloseKind.RESUELTO, first, line.rest(2))


def _equipo(line: Line) -> r.Request:
    verb = line.word(0, "lista")
    if verb in ("lista", "list"):
        return r.TeamList()
    person = parse_mention(line.args[1]) if len(line.args) > 1 else None
    if person is None:
        raise Refused("Indique a la persona: `/hib2b equipo agregar @persona tecnico`.")
    if verb in ("agregar", "add"):
        role = line.word(2, "tecnico")
        role = {"technician": "tecnico", "lead": "lider"}.get(role, role)
        return r.TeamAdd(person[0], person[1], role)
    if verb in ("quitar", "remove"):
        return r.TeamRemove(person[0])
    raise Refused("Use `equipo agregar`, `equipo quitar` o `equipo lista`.")


def _nuevo(line: Line) -> r.Request:
    if not line.args:
        return r.OpenForm(Form.NEW)
    if len(line.args) < 5:
        raise Refused(f"{NEW_USAGE}.")
    source, correo, usuario, tipo = line.args[:4]
    return r.OpenTicket(
        {
            "origen": normalize(source),
            "correo": correo,
            "usuario": usuario,
            "tipo": tipo,
            "descripcion": line.rest(4),
        }
    )


def _cliente(line: Line) -> r.Request:
    args, verb = line.args, line.word(0, "lista")
    if verb in ("lista", "list"):
        return r.ClientList()
    if verb in ("aceptar", "accept"):
        line.verb = "cliente aceptar"
        return r.Accept(line.number(1))
    if len(args) < 2:
        raise Refused("Indique el cliente: `/hib2b cliente ver acme`.")
    key = args[1]
    if verb in ("ver", "show"):
        return r.ClientShow(key.lower())
    if verb in ("alta", "add"):
        if len(args) < 4:
            raise Refused("Use `cliente alta clave host[,host] Nombre del cliente`.")
        return r.ClientAdd(key, tuple(args[2].split(",")), line.rest(3))
    if verb in ("suspender", "suspend"):
        return r.ClientStatus(key, SUSPENDIDO)
    if verb in ("reactivar", "reactivate"):
        return r.ClientStatus(key, VIGENTE)
    if verb == "plan":
        return r.ClientPlan(key, tuple(args[2:]))
    if verb == "rfc":
        return r.ClientRfcs(key, tuple(args[2:]))
    raise Refused("Use `cliente lista|ver|alta|suspender|reactivar|plan|rfc|aceptar`.")


Rule = Callable[[Line], r.Request]


def _text_rule(build: Callable[[int, str], r.Request]) -> Rule:
    """A rule on `HD-N` with the rest of the line as its text."""
    return lambda line: build(line.number(), line.rest(1))


def _plain_rule(build: Callable[[int], r.Request]) -> Rule:
    return lambda line: build(line.number())


# Sub-command (Spanish name) → its English alias and how its line becomes a request.
GRAMMAR: dict[str, tuple[str, Rule]] = {
    "ayuda": ("help", lambda line: r.Help()),
    "ver": ("show", _ver),
    "lista": ("list", _lista),
    "sla": ("sla", _sla),
    "tomar": ("claim", _tomar),
    "soltar": ("release", _plain_rule(r.Release)),
    "responder": ("reply", _responder),
    "nota": ("note", _text_rule(r.Note)),
    "llamada": ("call", _llamada),
    "severidad": ("severity", _severidad),
    "esperar": ("wait", _text_rule(r.Wait)),
    "reanudar": ("resume", _plain_rule(r.Resume)),
    "cerrar": ("close", _cerrar),
    "reabrir": ("reopen", _text_rule(r.Reopen)),
    "equipo": ("team", _equipo),
    "cliente": ("client", _cliente),
    "nuevo": ("new", _nuevo),
    "buscar": ("search", lambda line: r.Search(line.text.strip())),
    "fusionar": ("merge", _fusionar),
    "turno": ("shift", _turno),
    "plantilla": ("template", _plantilla),
    "reporte": ("report", _reporte),
    "exportar": ("export", _exportar),
}
ALIASES = {alias: name for name, (alias, _) in GRAMMAR.items()} | {name: name for name in GRAMMAR}


def parse(text: str) -> r.Request:
    """One `/hib2b` line (without `/hib2b`) → its request."""
    parts = text.strip().split(None, 1)
    if not parts:
        return r.Help()
    name = ALIASES.get(normalize(parts[0]))
    if name is None:
        return r.Help(unknown=parts[0])
    return GRAMMAR[name][1](Line(name, parts[1] if len(parts) > 1 else ""))
