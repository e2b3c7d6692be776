"""Period reports: the figures (pure), the chart (a PNG and a PDF that decode), `/hib2b
reporte` and `/hib2b exportar` through signed requests to the real app with files arriving in
the fake Slack, the weekly post (once per period, also across restarts), and `hib2b reporte`
in its own process."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.config import ConfigError, load_settings
from bot.delivery import scheduler
from bot.domain.period_report import COLUMNS as READ
from bot.domain.period_report import summarize
from bot.domain.periods import Period, Schedule, named, parse_schedule
from bot.render import chart
from bot.render import period as text
from bot.render.export import COLUMNS
from store.db import to_db
from tests import pg
from tests.desk import Desk, run_cli_async, settings_env, slack_env, slash_command
from tests.fakes.slack import FakeSlack

MX = ZoneInfo("America/Mexico_City")
TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
WEEK = Period(date(2026, 11, 23), date(2026, 11, 29))


def stored(year: int, month: int, day: int, hour: int, minute: int = 0) -> str:
    """A local Mexico City time as the store writes it (UTC text)."""
    local = datetime(year, month, day, hour, minute, tzinfo=MX)
    return local.astimezone(UTC).isoformat(timespec="microseconds")


def ticket(number: int, **fields: object) -> tuple:
    row = {
        "number": number,
        "created_at": stored(2026, 11, 24, 10),
        "client": "acme",
        "severity": "medio-alto",
        "first_contact_at": None,
        "fc_due_at": None,
        "closed_at": None,
        "close_kind": None,
        "res_gen": 0,
        "res_used_s": None,
        "rating": None,
    }
    row = {**row, **fields}
    return tuple(row[name] for name in READ)


def deadline(client: str, severity: str) -> float:
    return {"critico": 6, "medio-alto": 16, "bajo": 32}[severity] * 3600.0


# --- the figures -----------------------------------------------------------------------------
def test_days_are_local_days_and_only_the_period_counts() -> None:
    rows = [
        ticket(1, created_at=stored(2026, 11, 23, 0, 5)),  # 06:05 UTC: Monday in Mexico too
        ticket(2, created_at=stored(2026, 11, 29, 23, 50)),  # Monday 05:50 UTC, Sunday here
        ticket(3, created_at=stored(2026, 11, 22, 23, 59)),  # the Sunday before
        ticket(4, created_at=stored(2026, 11, 30, 0, 0)),  # the Monday after
    ]
    report = summarize(rows, WEEK, MX, deadline)
    assert report.received[date(2026, 11, 23)] == 1
    assert report.received[date(2026, 11, 29)] == 1
    assert report.total_received == 2
    assert list(report.received) == WEEK.dates()  # every day, the quiet ones with zero


def test_compliance_by_severity_and_client_and_the_slowest() -> None:
    contact = {"first_contact_at": stored(2026, 11, 24, 11), "fc_due_at": stored(2026, 11, 24, 12)}
    late = {"first_contact_at": stored(2026, 11, 24, 13), "fc_due_at": stored(2026, 11, 24, 12)}
    closed = {"closed_at": stored(2026, 11, 26, 10), "close_kind": "resuelto", "res_gen": 1}
    rows = [
        ticket(1, **contact, **closed, res_used_s=3 * 3600),
        ticket(2, **late, **closed, res_used_s=20 * 3600),  # past medio-alto's 16 h
        ticket(3, **contact, client=None, severity="critico"),
        ticket(4, closed_at=stored(2026, 11, 27, 9), close_kind="spam", res_gen=1),
        ticket(5, **contact, **closed, severity="bajo", client="beta", res_used_s=30 * 3600),
    ]
    report = summarize(rows, WEEK, MX, deadline)
    assert (report.first_contact.on_time, report.first_contact.total) == (3, 4)
    assert (report.resolution.on_time, report.resolution.total) == (2, 3)
    assert report.resolution_by_severity["medio-alto"].total == 2
    assert report.resolution_by_severity["medio-alto"].on_time == 1
    assert report.first_contact_by_client[""].total == 1  # no client: counted apart
    assert report.outcomes == {"resuelto": 3, "spam": 1}
    assert [slow.number for slow in report.slowest] == [5, 2, 1]
    assert report.slowest[0].hours == 30.0
    summary = text.plain_text(report, {"acme": "ACME, S.A."})
    assert "Recibidos: 5 · Cerrados: 4 (3 resueltos, 1 spam)" in summary
    assert "Primer contacto a tiempo: 75 % (3 de 4)" in summary
    assert "Resolución a tiempo: 66 % (2 de 3)" in summary
    assert "• HD-5 · beta · Bajo · 30.0 h hábiles" in summary
    assert "• Sin cliente:" in summary and "ACME, S.A." in summary
    assert "Satisfacción: sin calificaciones en el periodo" in summary


def test_supplier_text_in_client_names_is_escaped_for_slack() -> None:
    report = summarize([ticket(1)], WEEK, MX, deadline)
    report.first_contact_by_client["acme"] = report.first_contact
    shown = text.slack_text(report, {"acme": "<!channel> & Co"})
    assert "<!channel>" not in shown and "&lt;!channel&gt; &amp; Co" in shown


def test_the_store_reads_the_columns_summarize_expects() -> None:
    from store import reports as store

    selected = [c.strip().split(" AS ")[-1] for c in store._COLUMNS.split(",")]
    assert tuple(selected) == READ


def test_named_periods_and_the_schedule() -> None:
    assert named("semana", date(2026, 12, 1)) == Period(date(2026, 11, 25), date(2026, 12, 1))
    assert named("Mes", date(2026, 12, 1)).days == 30
    schedule = parse_schedule("lun 09:00")
    assert schedule == Schedule(0, time(9))
    before = datetime(2026, 11, 30, 8, 59)  # Monday, before nine
    after = datetime(2026, 11, 30, 9, 0)
    assert schedule.latest(before) == datetime(2026, 11, 23, 9)
    assert schedule.latest(after) == after
    assert Schedule.period_of(after) == WEEK
    assert schedule.following(after) == datetime(2026, 12, 7, 9)
    assert parse_schedule("off") is None
    for bad in ("lunes", "mon 25:00", "mon"):
        with pytest.raises(ValueError):
            parse_schedule(bad)
    with pytest.raises(ConfigError, match="HIB2B_REPORT_SCHEDULE"):
        load_settings(settings_env(Path("/nonexistent"), HIB2B_REPORT_SCHEDULE="every day"))


# --- the chart -------------------------------------------------------------------------------
def test_the_chart_is_a_png_and_the_pdf_has_the_summary_page() -> None:
    contact = {"first_contact_at": stored(2026, 11, 24, 11), "fc_due_at": stored(2026, 11, 24, 12)}
    rows = [ticket(n, created_at=stored(2026, 11, 23 + n % 7, 10), **contact) for n in range(1, 60)]
    report = summarize(rows, WEEK, MX, deadline)  # «Pagos…» drawn among the clients
    png = chart.draw(report, {"acme": "Pagos $\\frac{ S.A.$"})  # drawn as typed, not math
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.size == (1100, 750)
    pdf = chart.draw(report, {"acme": "ACME"}, "pdf")
    assert pdf.startswith(b"%PDF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 2  # chart, summary
    empty = chart.draw(summarize([], WEEK, MX, deadline), {})
    assert Image.open(io.BytesIO(empty)).size == (1100, 750)


# --- from Slack ------------------------------------------------------------------------------
async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(line, user))
    assert response.status == 200
    return json.loads(response.text)["text"]


async def worked_desk(start_desk, fake_slack: FakeSlack, **env: str) -> Desk:
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **TEAM, **env)
    for _ in range(3):
        assert (await desk.submit()).status == 303
    await said(desk, "tomar 1")
    await said(desk, "responder 1 Ya restablecimos su acceso, intente de nuevo.")
    await said(desk, "cerrar 1 acceso Se restableció la contraseña.")
    return desk


async def test_a_technician_gets_the_report_by_dm_and_a_lead_publishes_it(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await worked_desk(start_desk, fake_slack)
    answer = await said(desk, "reporte semana")
    assert "Preparo el reporte" in answer and "mensaje directo" in answer
    shared = await fake_slack.wait_for(lambda: fake_slack.shared_to("D0TECH1"))
    assert fake_slack.calls_to("conversations.open")[0].args["users"] == "U0TECH1"
    comment = shared[0]["initial_comment"]
    assert "*Reporte de soporte HiB2B" in comment
    assert "Recibidos: 3 · Cerrados: 1 (1 resuelto)" in comment
    image = Image.open(io.BytesIO(shared[0]["data"]))
    assert image.format == "PNG"

    refused = await said(desk, "reporte publicar")
    assert "líderes" in refused
    assert "canal de soporte" in await said(desk, "reporte mes publicar", user="U0LEAD")
    posted = await fake_slack.wait_for(lambda: fake_slack.shared_to("C0SUPPORT"))
    assert posted[0]["name"].startswith("reporte-") and posted[0]["name"].endswith(".png")
    await desk.drained()
    leftovers = list((desk.settings.data_dir / "salida").iterdir())
    assert leftovers == []  # sent files do not stay on the server


async def test_report_refusals_are_said_at_once(start_desk, fake_slack: FakeSlack) -> None:
    desk = await worked_desk(start_desk, fake_slack)
    assert "No existe el cliente `nadie`" in await said(desk, "reporte semana nadie")
    assert "anterior a la inicial" in await said(
        desk, "reporte --desde 2026-12-01 --hasta 2026-11-01"
    )
    assert "Solo el equipo" in await said(desk, "reporte", user="U0STRANGER")
    assert "AAAA-MM-DD" in await said(desk, "reporte --desde ayer --hasta hoy")
    assert not fake_slack.calls_to("files.getUploadURLExternal")


async def test_a_lead_gets_the_export_by_dm(start_desk, fake_slack: FakeSlack) -> None:
    desk = await worked_desk(start_desk, fake_slack)
    assert "para los líderes" in await said(desk, "exportar semana")
    answer = await said(desk, "exportar --desde 2020-01-01 --hasta 2100-12-31 xlsx", "U0LEAD")
    assert "XLSX" in answer
    shared = await fake_slack.wait_for(lambda: fake_slack.shared_to("D0LEAD"))
    assert shared[0]["name"] == "tickets-2020-01-01-2100-12-31.xlsx"
    assert "3 tickets" in shared[0]["initial_comment"]
    sheet = load_workbook(io.BytesIO(shared[0]["data"]), read_only=True)["Tickets"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS and len(rows) == 4
    assert isinstance(rows[1][1], datetime)
    await said(desk, "exportar semana csv", "U0LEAD")
    found = await fake_slack.wait_for(
        lambda: [f for f in fake_slack.shared_to("D0LEAD") if f["name"].endswith(".csv")]
    )
    assert found[0]["data"].startswith("\ufeffTicket,Recibido".encode())


async def test_the_weekly_report_is_posted_once_across_restarts(
    start_desk, fake_slack: FakeSlack
) -> None:
    monday = datetime(2026, 11, 30, 9, 30, tzinfo=MX)  # after Monday's 09:00
    env = {**slack_env(fake_slack.url), **TEAM, "HIB2B_REPORT_SCHEDULE": "mon 09:00"}
    # Installed the week before: at its first start it had nothing to report.
    first = await start_desk(lambda: monday - timedelta(days=3), **env)
    await first.until(lambda: _looked(first))
    assert await first.submit() is not None
    await first.drained()
    assert not fake_slack.shared_to("C0SUPPORT")
    await first.stop()
    desk = await start_desk(lambda: monday, **env)
    posted = await fake_slack.wait_for(lambda: fake_slack.shared_to("C0SUPPORT"))
    assert "23/11/2026 – 29/11/2026" in posted[0]["initial_comment"]
    await desk.drained()
    await desk.stop()
    again = await start_desk(lambda: monday + timedelta(hours=2), **env)
    await again.until(lambda: _looked(again))
    await again.drained()
    assert len(fake_slack.shared_to("C0SUPPORT")) == 1


def _looked(desk: Desk) -> bool:
    """the scheduler's first look has ended (it says ok after each)"""
    views = {view.name: view for view in desk.services.supervisor.views()}
    return views["report-scheduler"].last_ok_age_s is not None


async def test_the_scheduler_queues_each_period_once(tmp_path: Path) -> None:
    db = await pg.open_store_at(tmp_path / "desk.sqlite3")
    try:
        schedule = Schedule(0, time(9))
        sunday = datetime(2026, 11, 29, 20, tzinfo=MX)
        # A new desk: nothing received yet, so that week is passed over, once.
        assert await scheduler.queue_due(db, schedule, MX, sunday) is None
        await db.write("DELETE FROM report_runs")
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO tickets (number, created_at, source, tipo, severity, status,"
                " usuario, correo, descripcion) VALUES (1, ?, 'formulario', 'no_lo_se', 'bajo',"
                " 'cerrado', 'u', 'u@x.mx', 'd')",
                (to_db(datetime(2026, 11, 1, tzinfo=MX)),),
            )
        assert await scheduler.queue_due(db, schedule, MX, sunday) == "semana:2026-11-16"
        assert await scheduler.queue_due(db, schedule, MX, sunday) is None
        monday = datetime(2026, 11, 30, 9, 0, tzinfo=MX)
        assert await scheduler.queue_due(db, schedule, MX, monday) == "semana:2026-11-23"
        three_weeks_later = monday + timedelta(days=21)  # down all that time: one report
        assert await scheduler.queue_due(db, schedule, MX, three_weeks_later) == (
            "semana:2026-12-14"
        )
        rows = await db.fetchall("SELECT key, payload FROM outbox ORDER BY id")
        assert [row["key"] for row in rows] == [
            "report:semana:2026-11-16",
            "report:semana:2026-11-23",
            "report:semana:2026-12-14",
        ]
        assert json.loads(rows[1]["payload"])["to"] == "channel"
    finally:
        await db.close()


# --- the command line ------------------------------------------------------------------------
async def test_hib2b_reporte_writes_png_and_pdf(
    tmp_path: Path, start_desk, fake_slack: FakeSlack
) -> None:
    desk = await worked_desk(start_desk, fake_slack)
    env = {"HIB2B_DATA_DIR": str(desk.settings.data_dir), "HIB2B_SECRET_KEY": "k" * 40}
    span = ("--desde", "2020-01-01", "--hasta", "2100-12-31")
    png = tmp_path / "reporte.png"
    done = await run_cli_async(tmp_path, env, "reporte", *span, "--salida", str(png))
    assert done.returncode == 1  # over two years: the export's job
    assert "demasiado largo" in done.stderr
    today = datetime.now(MX).date()
    span = ("--desde", str(today - timedelta(days=30)), "--hasta", str(today))
    done = await run_cli_async(tmp_path, env, "reporte", *span, "--salida", str(png))
    assert done.returncode == 0, done.stderr
    assert "Recibidos: 3" in done.stdout
    assert Image.open(png).format == "PNG"
    pdf = tmp_path / "reporte.pdf"
    done = await run_cli_async(tmp_path, env, "reporte", "semana", "--salida", str(pdf))
    assert done.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    again = await run_cli_async(tmp_path, env, "reporte", "semana", "--salida", str(pdf))
    assert again.returncode == 1 and "ya existe" in again.stderr
    unknown = await run_cli_async(tmp_path, env, "reporte", "semana", "--cliente", "nadie")
    assert unknown.returncode == 1 and "No existe el cliente" in unknown.stderr
