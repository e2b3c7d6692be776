"""The `/hib2b` grammar (`bot.commands.parse`): every sub-command, in Spanish and in English,
accents and case ignored, ticket numbers however written, and a refusal that shows the usage
when a line does not say enough. Pure."""

from __future__ import annotations

import typing
from datetime import date, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.parse import ALIASES, GRAMMAR, parse
from bot.domain import requests as r
from bot.domain.change import DUPLICATE, Refused
from bot.domain.requests import Form, Listing
from bot.domain.terms import SUSPENDIDO, VIGENTE, CloseKind, Severity

CASES: list[tuple[str, r.Request]] = [
    ("ayuda", r.Help()),
    ("help", r.Help()),
    ("AYUDA", r.Help()),
    ("ver HD-12", r.Show(12)),
    ("show hd-12", r.Show(12)),
    ("Ver 12", r.Show(12)),
    ("ver hd12", r.Show(12)),
    ("lista", r.ListTickets(Listing.OPEN)),
    ("list open", r.ListTickets(Listing.OPEN)),
    ("lista mios", r.ListTickets(Listing.MINE)),
    ("lista Míos", r.ListTickets(Listing.MINE)),
    ("lista mine", r.ListTickets(Listing.MINE)),
    ("lista sin-asignar", r.ListTickets(Listing.UNASSIGNED)),
    ("lista unassigned", r.ListTickets(Listing.UNASSIGNED)),
    ("lista vencidos", r.ListTickets(Listing.BREACHED)),
    ("lista overdue", r.ListTickets(Listing.BREACHED)),
    ("lista acme", r.ListTickets(Listing.OPEN, "acme")),
    ("lista vencidos ACME", r.ListTickets(Listing.BREACHED, "acme")),
    ("sla", r.SlaStatus()),
    ("sla 7", r.SlaStatus(number=7)),
    ("SLA hd-7", r.SlaStatus(number=7)),
    ("sla publicar", r.SlaStatus(publish=True)),
    ("sla publish acme", r.SlaStatus(client="acme", publish=True)),
    ("sla acme", r.SlaStatus(client="acme")),
    ("tomar 3", r.Claim(3)),
    ("claim HD-3", r.Claim(3)),
    ("tomar 3 <@U123|ana>", r.Claim(3, target="U123", target_name="ana")),
    ("tomar 3 <@U0TECH2>", r.Claim(3, target="U0TECH2")),
    ("tomar 3 @U0TECH2", r.Claim(3, target="U0TECH2")),
    ("soltar 3", r.Release(3)),
    ("release hd-3", r.Release(3)),
    ("responder HD-1", r.OpenForm(Form.REPLY, 1)),
    ("reply 1 Listo", r.Reply(1, "Listo")),
    ("responder HD-1 Hola,\n\nya quedó.\n  Saludos", r.Reply(1, "Hola,\n\nya quedó.\n  Saludos")),
    ("nota 2 revisar *logs*", r.Note(2, "revisar *logs*")),
    ("note 2 a\nb", r.Note(2, "a\nb")),
    ("llamada 2 Habló con TI", r.Call(2, "Habló con TI")),
    ("call 2 x", r.Call(2, "x")),
    ("severidad 4 medio razón", r.SetSeverity(4, Severity.MEDIO_ALTO, "razón")),
    ("severity 4 critical", r.SetSeverity(4, Severity.CRITICO)),
    ("Severidad HD-4 CRÍTICO portal caído", r.SetSeverity(4, Severity.CRITICO, "portal caído")),
    ("severidad 4 bajo", r.SetSeverity(4, Severity.BAJO)),
    ("severidad 4 medio-alto", r.SetSeverity(4, Severity.MEDIO_ALTO)),
    ("esperar 4", r.Wait(4)),
    ("wait 4 falta el XML", r.Wait(4, "falta el XML")),
    ("reanudar 4", r.Resume(4)),
    ("resume 4", r.Resume(4)),
    ("cerrar 5", r.OpenForm(Form.CLOSE, 5)),
    ("close HD-5", r.OpenForm(Form.CLOSE, 5)),
    ("cerrar 5 spam", r.Close(5, CloseKind.SPAM, "otra", "Spam", cause_text="Spam")),
    (
        "cerrar 5 duplicado HD-3",
        r.Close(5, CloseKind.DUPLICADO, "otra", "Duplicado de HD-3", "Duplicado", 3),
    ),
    ("cerrar 5 acceso Se restableció", r.Close(5, CloseKind.RESUELTO, "acceso", "Se restableció")),
    ("cerrar 5 ACCESO a\nb", r.Close(5, CloseKind.RESUELTO, "acceso", "a\nb")),
    ("reabrir 5 Volvió a fallar", r.Reopen(5, "Volvió a fallar")),
    ("reopen 5 x", r.Reopen(5, "x")),
    ("équipo", r.TeamList()),
    ("equipo lista", r.TeamList()),
    ("team list", r.TeamList()),
    ("equipo agregar @U0ANA1 lider", r.TeamAdd("U0ANA1", "", "lider")),
    ("equipo agregar <@U0ANA1|ana> Líder", r.TeamAdd("U0ANA1", "ana", "lider")),
    ("equipo agregar U0ANA1", r.TeamAdd("U0ANA1", "", "tecnico")),
    ("team add @U0ANA1 lead", r.TeamAdd("U0ANA1", "", "lider")),
    ("team add @U0ANA1 technician", r.TeamAdd("U0ANA1", "", "tecnico")),
    ("equipo quitar <@U0ANA1>", r.TeamRemove("U0ANA1")),
    ("team remove @U0ANA1", r.TeamRemove("U0ANA1")),
    ("cliente", r.ClientList()),
    ("client list", r.ClientList()),
    ("cliente ver ACME", r.ClientShow("acme")),
    ("cliente alta acme a.com,b.com Acme SA", r.ClientAdd("acme", ("a.com", "b.com"), "Acme SA")),
    ("cliente suspender acme", r.ClientStatus("acme", SUSPENDIDO)),
    ("client reactivate acme", r.ClientStatus("acme", VIGENTE)),
    ("cliente plan acme first_contact=1h,2h", r.ClientPlan("acme", ("first_contact=1h,2h",))),
    ("cliente plan acme", r.ClientPlan("acme", ())),
    ("cliente aceptar HD-9", r.Accept(9)),
    ("client accept 9", r.Accept(9)),
    ("nuevo", r.OpenForm(Form.NEW)),
    (
        "nuevo telefono x@y.com usr no_lo_se texto largo\ncon salto",
        r.OpenTicket(
            {
                "origen": "telefono",
                "correo": "x@y.com",
                "usuario": "usr",
                "tipo": "no_lo_se",
                "descripcion": "texto largo\ncon salto",
            }
        ),
    ),
    (
        "new Teléfono x@y.com usr conectividad caído",
        r.OpenTicket(
            {
                "origen": "telefono",
                "correo": "x@y.com",
                "usuario": "usr",
                "tipo": "conectividad",
                "descripcion": "caído",
            }
        ),
    ),
    (
        "llamada HD-4 10:30 Le expliqué cómo cargar",
        r.Call(4, "Le expliqué cómo cargar", time(10, 30)),
    ),
    ("llamada 4 9:05 breve", r.Call(4, "breve", time(9, 5))),
    ("llamada 4 25:00 no es hora", r.Call(4, "25:00 no es hora")),
    (
        "cerrar 8 otra Falla del banco del proveedor | Se reintentó el pago y quedó.",
        r.Close(
            8,
            CloseKind.RESUELTO,
            "otra",
            "Se reintentó el pago y quedó.",
            "Falla del banco del proveedor",
        ),
    ),
    ("buscar  factura A-123\n", r.Search("factura A-123")),
    ("search Contraseña", r.Search("Contraseña")),
    ("turno", r.Shift("lista")),
    ("turno Entrar", r.Shift("entrar")),
    ("shift out", r.Shift("salir")),
    ("fusionar HD-7 hd-3", r.Merge(7, 3)),
    ("merge 7 3", r.Merge(7, 3)),
    ("plantilla", r.TemplateList()),
    ("template show Contrasena", r.TemplateShow("contrasena")),
    (
        "plantilla agregar pagos Hola, {usuario}:\nlisto.",
        r.TemplateAdd("pagos", "Hola, {usuario}:\nlisto."),
    ),
    ("plantilla quitar /pagos", r.TemplateRemove("pagos")),
    ("responder 5 /contrasena", r.Reply(5, "", template="contrasena", review=True)),
    ("responder 5 /Contrasena\nY algo más.", r.Reply(5, "Y algo más.", template="contrasena")),
    ("reporte", r.AskReport()),
    ("reporte mes acme publicar", r.AskReport(r.Span("mes"), "acme", publish=True)),
    ("report week", r.AskReport(r.Span("semana"))),
    (
        "reporte --desde 2026-11-01 --hasta=2026-11-30 --cliente ACME",
        r.AskReport(r.Span("", date(2026, 11, 1), date(2026, 11, 30)), "acme"),
    ),
    ("exportar", r.AskExport()),
    ("export month beta csv", r.AskExport(r.Span("mes"), "beta", "csv")),
    (
        "exportar --desde 2026-01-01 --hasta 2026-06-30 tickets.CSV",
        r.AskExport(r.Span("", date(2026, 1, 1), date(2026, 6, 30)), fmt="csv"),
    ),
    ("borrar 5", r.Help(unknown="borrar")),
    ("¿qué?", r.Help(unknown="¿qué?")),
    ("", r.Help()),
    ("   \n ", r.Help()),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_parse(text, expected):
    assert parse(text) == expected


def test_every_sub_command_and_alias_is_exercised():
    used = {text.split(None, 1)[0] for text, _ in CASES if text.strip()}
    spoken = {word.lower().replace("é", "e") for word in used}
    assert set(ALIASES) <= spoken


def test_aliases_name_the_same_sub_command():
    for name, (alias, _) in GRAMMAR.items():
        assert ALIASES[name] == name
        assert ALIASES[alias] == name


NEEDS_NUMBER = [
    "ver",
    "tomar",
    "soltar",
    "responder",
    "nota",
    "llamada",
    "severidad",
    "esperar",
    "reanudar",
    "cerrar",
    "reabrir",
]


@pytest.mark.parametrize("name", NEEDS_NUMBER)
@pytest.mark.parametrize("tail", ["", " abc", " HD-", " HD-x texto"])
def test_missing_ticket_number_shows_the_usage(name, tail):
    with pytest.raises(Refused) as refused:
        parse(name + tail)
    assert f"`/hib2b {name} HD-N`" in refused.value.message


@pytest.mark.parametrize("name", NEEDS_NUMBER)
def test_english_alias_shows_the_spanish_usage(name):
    with pytest.raises(Refused) as refused:
        parse(GRAMMAR[name][0])
    assert f"`/hib2b {name} HD-N`" in refused.value.message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("cliente aceptar", "`/hib2b cliente aceptar HD-N`"),
        ("tomar 3 ana", "`/hib2b tomar HD-N @persona`"),
        ("severidad 4", "bajo|medio-alto|critico"),
        ("severidad 4 urgente", "bajo|medio-alto|critico"),
        ("lista todos acme", "`lista mios`"),
        ("equipo agregar", "`/hib2b equipo agregar @persona tecnico`"),
        ("equipo agregar ana", "@persona"),
        ("equipo cambiar @U0ANA1", "`equipo quitar`"),
        ("cliente ver", "`/hib2b cliente ver acme`"),
        ("cliente alta acme a.com", "`cliente alta clave host[,host] Nombre del cliente`"),
        ("cliente borrar acme", "`cliente lista|ver|alta|suspender|reactivar|plan|rfc|aceptar`"),
        ("nuevo telefono x@y.com usr", "`nuevo telefono|correo correo@proveedor"),
        ("cerrar 8 otra sin barra", "`cerrar HD-N otra causa | resumen`"),
        ("cerrar 8 otra causa |  ", "`cerrar HD-N otra causa | resumen`"),
        ("fusionar 7", "`/hib2b fusionar HD-A HD-B`"),
        ("turno pausa", "`turno entrar`"),
        ("reporte semana acme otra-cosa", "`reporte [semana|mes] [cliente] [publicar]`"),
        ("reporte --desde 2026-11-01", "`--desde AAAA-MM-DD --hasta AAAA-MM-DD`"),
        ("reporte --hasta 2026-11-01 --desde 2026-12-01", "anterior a la inicial"),
        ("reporte --formato pdf", "No conozco `--formato`"),
        ("exportar semana acme pdf", "`exportar [semana|mes] [cliente] [xlsx|csv]`"),
    ],
)
def test_refusals_say_how(text, says):
    with pytest.raises(Refused) as refused:
        parse(text)
    assert says in refused.value.message
    assert refused.value.field is None


REQUEST_TYPES = typing.get_args(r.Request)
WORDS = [*sorted(ALIASES), "HD-1", "12", "spam", "duplicado", "agregar", "publicar", "@U0A"]
line = st.one_of(
    st.text(),
    st.builds(
        lambda verb, upper, rest: (verb.upper() if upper else verb) + rest,
        st.sampled_from(sorted(ALIASES)),
        st.booleans(),
        st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=6).map(
            lambda words: "".join(" " + w for w in words)
        ),
    ),
)


def test_request_types_are_all_known():
    assert len(REQUEST_TYPES) >= 20
    assert r.Help in REQUEST_TYPES and r.ClientPlan in REQUEST_TYPES


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(line)
def test_parse_refuses_or_returns_a_request(text):
    try:
        request = parse(text)
    except Refused as refused:
        assert refused.message
        return
    assert isinstance(request, REQUEST_TYPES)


def test_an_unreadable_original_is_refused_on_the_original_input() -> None:
    for line in ("cerrar 5 duplicado", "cerrar 5 duplicado abc"):
        with pytest.raises(Refused, match="ticket original") as refused:
            parse(line)
        assert refused.value.field == DUPLICATE


def test_publishing_is_for_the_desk_or_a_client_not_one_ticket() -> None:
    with pytest.raises(Refused, match="`sla HD-N`"):
        parse("sla publicar HD-7")
    assert parse("sla publicar acme") == r.SlaStatus(client="acme", publish=True)
