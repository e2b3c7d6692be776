"""The desk's text answers and reports: `/hib2b sla` (`bot.render.sla`), `ver` and `lista`
(`bot.render.answers`), the supplier's timeline (`bot.render.timeline`) and `hib2b estado`
(`bot.render.health`). Pure: records built here, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block

from bot.delivery.health import Snapshot, details
from bot.delivery.supervisor import WorkerView
from bot.domain.calendar import BusinessCalendar
from bot.domain.clocks import SlaPolicy
from bot.domain.reports import Alert, Compliance, Report
from bot.domain.terms import Severity
from bot.render import answers, health, timeline
from bot.render.sla import business, explain, render
from store.models import Client, Ticket

ZONE = "America/Mexico_City"
MX = ZoneInfo(ZONE)
NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # Monday 12:00 in Mexico City
H = timedelta(hours=1)
POLICY = SlaPolicy(
    BusinessCalendar(),
    (1 * H, 4 * H),
    {
        Severity.BAJO: (8 * H, 32 * H),
        Severity.MEDIO_ALTO: (4 * H, 16 * H),
        Severity.CRITICO: (1 * H, 6 * H),
    },
)


def when(moment: datetime) -> str:
    return moment.astimezone(MX).strftime("%d/%m %H:%M")


def ticket(number: int = 9, **fields) -> Ticket:
    base = Ticket(
        number=number,
        created_at=NOW - 2 * H,
        source="formulario",
        form_id=None,
        tipo="conectividad",
        severity="critico",
        status="nuevo",
        usuario="xime1805",
        correo="x@example.com",
        liga_portal="",
        descripcion="Sin conexión",
        client_ip="",
        email_thread=None,
        slack_channel=None,
        slack_ts=None,
    )
    return replace(base, **fields)


# --- sla.business, sla.render -------------------------------------------------------------
@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0 min"),
        (timedelta(seconds=59), "0 min"),
        (timedelta(minutes=45), "45 min"),
        (2 * H, "2 h"),
        (2 * H + timedelta(minutes=15), "2 h 15 min"),
        (-(H + timedelta(minutes=5)), "1 h 5 min"),
        (40 * H, "40 h"),
    ],
)
def test_business(span, text):
    assert business(span) == text


def _alert(number: int, left: timedelta, assignee: str | None = "U0TECH1") -> Alert:
    return Alert(number, "resolucion", NOW + left, assignee, left)


REPORT = Report(
    now=NOW,
    by_status={"nuevo": 2, "asignado": 3, "esperando": 1},
    by_severity={"critico": 1, "bajo": 4, "medio-alto": 1},
    load={"U0TECH1": 3, "U0TECH2": 1, "": 2},
    at_risk=[Alert(5, "primer_contacto", NOW + H, None, 30 * timedelta(minutes=1))],
    breached=[_alert(100 + i, -(i + 1) * H) for i in range(12)],
    compliance=[
        Compliance(7),
        Compliance(
            30,
            10,
            9,
            5,
            timedelta(minutes=50),
            4,
            3,
            1,
            5 * H + timedelta(minutes=30),
            ratings=[("", 2, 4.0), ("U0TECH1", 3, 14 / 3)],
            ratings_by_client=[("acme", 4, 4.5), ("", 1, 4.0)],
        ),
    ],
)


def test_sla_report_blocks_are_valid_block_kit():
    message = render(REPORT, when)
    assert 3 < len(message.blocks) <= 50
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert parsed.to_dict() == block
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "SLA de la mesa de ayuda"},
    }
    assert message.blocks[-1]["elements"][0]["text"] == (
        "Al 02/03 12:00 · tiempos en horas hábiles"
    )
    assert message.text == "SLA: 6 abiertos, 12 vencidos, 1 en riesgo"


def test_sla_report_content():
    plain = render(REPORT, when).plain
    sections = plain.split("\n\n")
    assert sections[0] == (
        "*Abiertos: 6*\nSin asignar: 2 · En atención: 3 · Esperando proveedor: 1\n"
        "Bajo: 4 · Medio-Alto: 1 · Crítico: 1"
    )
    breached = sections[1].splitlines()
    assert breached[0] == "*:rotating_light: Vencidos (12)*"
    assert breached[1] == (
        "• *HD-100* · resolución · vence 02/03 11:00 · vencido hace 1 h hábiles · <@U0TECH1>"
    )
    assert len(breached) == 1 + 10 + 1
    assert breached[-1] == "… y 2 más: `/hib2b lista vencidos`"
    assert sections[2] == (
        "*:warning: En riesgo (más del 75 % usado) (1)*\n"
        "• *HD-5* · primer contacto · vence 02/03 13:00 · quedan 30 min hábiles · nadie"
    )
    assert sections[3] == (
        "*Carga por técnico (abiertos)*\n<@U0TECH1>: 3 · Sin asignar: 2 · <@U0TECH2>: 1"
    )
    assert sections[4] == (
        "*Cumplimiento, últimos 7 días*\n"
        "Primer contacto: 0 · a tiempo — · antes del objetivo — · mediana —\n"
        "Resolución: 0 · a tiempo — · antes del objetivo — · mediana —\n"
        "Satisfacción: sin calificaciones"
    )
    assert sections[5] == (
        "*Cumplimiento, últimos 30 días*\n"
        "Primer contacto: 10 · a tiempo 90 % · antes del objetivo 50 % · mediana 50 min hábiles\n"
        "Resolución: 4 · a tiempo 75 % · antes del objetivo 25 % · mediana 5 h 30 min hábiles\n"
        "Satisfacción: 4.4 de 5 en 5 calificaciones · <@U0TECH1> 4.7 (3) · sin técnico 4.0 (2)\n"
        "Por cliente: `acme` 4.5 (4) · sin cliente 4.0 (1)"
    )


def test_empty_sla_report():
    message = render(Report(NOW, {}, {}, {}), when, title="SLA de Acme")
    assert message.blocks[0]["text"]["text"] == "SLA de Acme"
    assert "*Abiertos: 0*\n—" in message.plain
    assert "*:rotating_light: Vencidos (0)*\n_Ninguno._" in message.plain
    assert "*Carga por técnico (abiertos)*\n—" in message.plain
    assert message.text == "SLA: 0 abiertos, 0 vencidos, 0 en riesgo"


def test_sla_report_caps_the_load_list():
    load = {f"U0T{i:03d}": 100 - i for i in range(20)}
    plain = render(Report(NOW, {"asignado": 1}, {"bajo": 1}, load), when).plain
    line = plain.split("\n\n")[3]
    assert line.count("<@U0T") == 15
    assert line.endswith(" · … y 5 más")
    assert line.index("<@U0T000>: 100") < line.index("<@U0T014>: 86")


# --- sla.explain ----------------------------------------------------------------------------
def test_explain_an_open_ticket_across_a_holiday():
    created = datetime(2026, 3, 13, 23, 0, tzinfo=UTC)  # Friday 17:00; Monday 16 is a holiday
    cal = POLICY.calendar
    open_ticket = ticket(
        created_at=created,
        fc_target_at=cal.add(created, H),
        fc_due_at=cal.add(created, 4 * H),
        sla_next_at=cal.add(created, H),
    )
    now = datetime(2026, 3, 17, 16, 0, tzinfo=UTC)  # Tuesday 10:00
    lines = explain(open_ticket, [], [], POLICY, now, when).splitlines()
    assert lines[0] == "*HD-9* · severidad Crítico · Sin asignar"
    assert lines[1] == "*Primer contacto* (1 h–4 h hábiles): desde 13/03 17:00"
    assert lines[2] == "  objetivo 13/03 18:00, vence 17/03 12:00"
    # The holiday's name comes from the `holidays` package (its language follows the locale).
    assert lines[3].startswith("  días cerrados en el plazo: 16/03 (")
    assert "Benito Juárez" in lines[3]
    assert lines[4] == "  corriendo: lleva 2 h hábiles"
    assert lines[5] == ("*Resolución* (1 h–6 h hábiles desde el primer contacto, generación 0)")
    assert lines[6:] == [
        "  aún no empieza (espera el primer contacto)",
        "  tiempo hábil usado: 0 min de 6 h",
        "*Recordatorios enviados:* ninguno",
        "*Siguiente:* 13/03 18:00",
    ]


def test_explain_a_closed_ticket_with_pauses_and_reminders():
    created = NOW - 2 * H  # Monday 10:00
    closed = ticket(
        status="cerrado",
        severity="medio-alto",
        first_contact_at=created + timedelta(minutes=30),
        fc_due_at=created + 4 * H,
        fc_business_s=1800.0,
        res_gen=1,
        res_used_s=3 * 3600.0,
        closed_at=NOW,
    )
    audit = [
        {"action": "creado", "at": created.isoformat()},
        {"action": "esperando", "at": (created + H).isoformat()},
        {"action": "nota", "at": (created + H).isoformat()},
        {"action": "reanudado", "at": (created + 90 * timedelta(minutes=1)).isoformat()},
    ]
    reminders = [
        {"clock": "primer_contacto", "stage": "objetivo", "sent": 1},
        {"clock": "resolucion", "stage": "por_vencer", "sent": 1},
        {"clock": "resolucion", "stage": "vencido", "sent": 0},
    ]
    text = explain(closed, audit, reminders, POLICY, NOW, when)
    assert "*HD-9* · severidad Medio-Alto · Cerrado" in text
    assert "  hecho 02/03 10:30 tras 30 min hábiles: a tiempo" in text
    assert "corriendo" not in text
    assert "(4 h–16 h hábiles desde el primer contacto, generación 1)" in text
    assert "  detenido al cerrar: a tiempo" in text
    assert "  tiempo hábil usado: 3 h de 16 h" in text
    assert "  pausas: inicio 02/03 11:00, fin 02/03 11:30" in text
    assert "*Recordatorios enviados:* primer contacto objetivo, resolución por vencer" in text
    assert "Siguiente" not in text


def test_explain_a_late_first_contact_and_a_paused_resolution():
    created = NOW - 2 * H
    late = ticket(
        status="esperando",
        first_contact_at=created + 5 * H,
        fc_due_at=created + 4 * H,
        fc_business_s=5 * 3600.0,
        res_gen=1,
        res_used_s=600.0,
    )
    text = explain(late, [], [], POLICY, NOW + 6 * H, when)
    assert "tras 5 h hábiles: tarde" in text
    assert "  en pausa: se espera al proveedor" in text
    assert "  tiempo hábil usado: 10 min de 6 h" in text


# --- answers --------------------------------------------------------------------------------
HOSTILE = ticket(
    number=31,
    status="cerrado",
    assignee="U0TECH1",
    usuario="<!here> Prov & Cía",
    liga_portal="https://acme.portalhib2b.com",
    descripcion="*urgente* <https://evil.example|clic>",
    first_contact_at=NOW - H,
    closed_at=NOW,
    close_kind="spam",
    close_cause="Otra: Spam",
)


def test_describe_for_slack_escapes_supplier_text():
    text = answers.describe(HOSTILE, ["<b>.pdf", "factura.xml"], ZONE, for_slack=True)
    assert text.splitlines() == [
        "*HD-31* · Conectividad",
        "Severidad: Crítico · Estado: Cerrado · Asignado a: <@U0TECH1>",
        "Proveedor: &lt;!here&gt; Prov &amp; Cía · Correo: x@example.com",
        "Liga portal: https://acme.portalhib2b.com",
        "Recibido: 02/03/2026 10:00 (hora del centro de México)",
        "Primer contacto: 02/03/2026 11:00 (hora del centro de México)",
        "Cerrado: 02/03/2026 12:00 (hora del centro de México) · Spam · Causa: Otra: Spam",
        "Descripción: *urgente* &lt;https://evil.example|clic&gt;",
        "Adjuntos: &lt;b&gt;.pdf, factura.xml",
    ]


def test_describe_for_the_terminal_keeps_text_as_typed():
    text = answers.describe(ticket(), [], ZONE, for_slack=False)
    assert "Asignado a: nadie" in text
    assert "Liga portal: —" in text
    assert "Primer contacto" not in text and "Cerrado" not in text and "Adjuntos" not in text
    raw = answers.describe(HOSTILE, [], ZONE, for_slack=False)
    assert "Proveedor: <!here> Prov & Cía" in raw


def test_ticket_list_shows_at_most_max_list():
    tickets = [ticket(number=n, assignee="U0TECH1" if n % 2 else None) for n in range(1, 36)]
    text = answers.ticket_list("Tickets abiertos", tickets, len(tickets), for_slack=True)
    lines = text.splitlines()
    assert lines[0] == "*Tickets abiertos (35)*"
    assert len(lines) == 1 + answers.MAX_LIST + 1
    assert lines[1] == "• *HD-1* · Conectividad · Crítico · Sin asignar · <@U0TECH1> · xime1805"
    assert lines[2].endswith(" · sin asignar · xime1805")
    assert lines[answers.MAX_LIST].startswith("• *HD-30* ")
    assert lines[-1] == "… y 5 más."


def test_ticket_list_counts_what_the_store_did_not_send():
    """The store sends the first page and the total: the rest is counted, not listed."""
    page = [ticket(number=n) for n in range(1, answers.MAX_LIST + 1)]
    text = answers.ticket_list("Tickets abiertos", page, 48_213, for_slack=True)
    assert text.splitlines()[0] == "*Tickets abiertos (48213)*"
    assert text.endswith(f"… y {48_213 - answers.MAX_LIST} más.")


def test_ticket_list_exactly_full_and_empty():
    full = [ticket(number=n) for n in range(answers.MAX_LIST)]
    assert "más." not in answers.ticket_list("T", full, len(full), for_slack=False)
    assert answers.ticket_list("Tickets sin asignar", [], 0, for_slack=True) == (
        "*Tickets sin asignar (0)*\n_Ninguno._"
    )
    escaped = answers.ticket_list("T", [HOSTILE], 1, for_slack=True)
    assert escaped.endswith("&lt;!here&gt; Prov &amp; Cía")


def test_client_list():
    acme = Client("acme", "Acme Corp", "vigente", NOW, "U0LEAD", None, NOW, ("acme.com",))
    nandu = replace(acme, key="nandu", name="Ñandú SA", status="suspendido")
    assert answers.client_list([acme, nandu]) == (
        "*Clientes (2)*\n• `acme` · Acme Corp · vigente\n• `nandu` · Ñandú SA · suspendido"
    )
    assert answers.client_list([]) == "*Clientes (0)*\n_Ninguno._"


# --- timeline -------------------------------------------------------------------------------
def test_timeline_for_supplier_tells_only_what_they_saw():
    t0 = NOW - 2 * H  # 10:00 local

    def at(minutes: int) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    audit = [
        {"action": "creado", "at": at(0), "detail": {}},
        {"action": "nota", "at": at(5), "detail": {}},
        {"action": "asignado", "at": at(10), "detail": {}},
        {"action": "llamada", "at": at(40), "detail": {"hora": at(20)}},
        {"action": "severidad", "at": at(25), "detail": {}},
        {"action": "respuesta", "at": at(30), "detail": {}},
        {"action": "esperando", "at": at(35), "detail": {}},
        {"action": "asignado", "at": at(45), "detail": {}},
        {"action": "reanudado", "at": at(50), "detail": {}},
        {"action": "cerrado", "at": at(60), "detail": {}},
        {"action": "reabierto", "at": at(70), "detail": {"motivo": "Sigue sin cargar."}},
    ]
    lines = timeline.for_supplier(audit, t0 + timedelta(minutes=20), ZONE)
    assert lines == [
        ("02/03/2026 10:00 h", "Recibimos su solicitud."),
        ("02/03/2026 10:10 h", "Un especialista de soporte fue asignado a su caso."),
        ("02/03/2026 10:20 h", "Primer contacto del especialista con usted."),
        ("02/03/2026 10:20 h", "Tuvimos una llamada telefónica con usted."),
        ("02/03/2026 10:30 h", "Le enviamos una respuesta por correo."),
        ("02/03/2026 10:35 h", "Quedamos en espera de información de su parte."),
        ("02/03/2026 10:50 h", "Retomamos la atención de su caso."),
        ("02/03/2026 11:00 h", "Su ticket fue resuelto y cerrado."),
        ("02/03/2026 11:10 h", "Su ticket fue reabierto: Sigue sin cargar."),
    ]


def test_timeline_without_first_contact():
    audit = [{"action": "creado", "at": NOW.isoformat(), "detail": {}}]
    assert timeline.for_supplier(audit, None, ZONE) == [
        ("02/03/2026 12:00 h", "Recibimos su solicitud.")
    ]
    assert timeline.for_supplier([], None, ZONE) == []


# --- health ---------------------------------------------------------------------------------
def test_health_plain_from_details():
    body = details(
        Snapshot(
            mode="http",
            workers=(
                WorkerView("entregas", "running", 0, 1.4, None, False, ""),
                WorkerView("buzon", "backoff", 3, None, 12.0, True, "IMAP: conexión rechazada"),
            ),
            deliveries={"pending": 4, "failed": 1},
            oldest_waiting_s=65.7,
            storage_error=None,
            mailbox_connected=False,
            mailbox_error="login falló",
            failed_deliveries=({"id": 17, "key": "hd-3:correo:confirmacion", "error": "550"},),
        )
    )
    assert health.plain(body).splitlines() == [
        "estado: con fallas (modo http; base de datos: se puede escribir)",
        "  buzon          backoff     reinicios=3   último éxito nunca (atrasado)",
        "      último error: IMAP: conexión rechazada",
        "  entregas       en marcha   reinicios=0   último éxito hace 1s",
        "  entregas: 4 pendientes, 0 enviándose, 1 fallidas; la más antigua espera desde hace 66s",
        "          17 hd-3:correo:confirmacion: 550",
        "  buzón: desconectado",
        "      último error: login falló",
    ]


def test_health_plain_failing_database_without_mailbox():
    body = details(Snapshot("local", (), {}, 0.0, "disco lleno"))
    lines = health.plain(body).splitlines()
    assert lines == [
        "estado: fallando (modo local; base de datos: no se puede escribir)",
        "  base de datos: disco lleno",
        "  entregas: 0 pendientes, 0 enviándose, 0 fallidas; la más antigua espera desde hace 0s",
    ]


def test_client_list_stays_within_slacks_limits():
    many = [
        Client(
            f"cliente{i}",
            "Cliente muy largo S.A. de C.V. " * 2,
            "vigente",
            NOW,
            "U0",
            None,
            NOW,
            (),
        )
        for i in range(1_500)
    ]
    text = answers.client_list(many)
    assert len(text) < 40_000
    assert text.startswith("*Clientes (1500)*") and text.endswith(
        "… y 1400 más: `/hib2b cliente ver clave`."
    )


def test_team_list_leads_first_and_an_empty_team_says_how_to_start():
    from bot.domain.terms import Role

    roles = {"U0TECH2": Role.TECNICO, "U0LEAD": Role.LIDER, "U0TECH1": Role.TECNICO}
    assert answers.team_list(roles) == ("*Líderes:* <@U0LEAD>\n*Técnicos:* <@U0TECH1>, <@U0TECH2>")
    assert "equipo agregar" in answers.team_list({})
