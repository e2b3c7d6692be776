"""`hib2b exportar` as an operator runs it (the real command line in its own process): the
tracker sheet's columns in their order, real dates in XLSX, accents Excel reads in CSV, the range
and the client as asked, clear refusals with nothing written."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.render.export import COLUMNS
from tests.desk import GOOD, Desk, run_cli_async, slack_env, slash_command
from tests.fakes.slack import FakeSlack

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}
ALL_TIME = ("--desde", "2020-01-01", "--hasta", "2100-12-31")


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    response = await desk.slack(slash_command(line, user))
    assert response.status == 200
    return json.loads(response.text)["text"]


async def worked_desk(start_desk, fake_slack: FakeSlack) -> Desk:
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    for _ in range(2):
        assert (await desk.submit()).status == 303
    await said(desk, "tomar 1")
    await said(desk, "responder 1 Ya restablecimos su acceso, intente de nuevo.")
    await said(desk, "cerrar 1 acceso Se restableció la contraseña.")
    return desk


async def test_csv_and_xlsx_carry_the_tracker_sheet(
    tmp_path: Path, start_desk, fake_slack: FakeSlack
) -> None:
    await worked_desk(start_desk, fake_slack)
    env = {"HIB2B_DATA_DIR": str(tmp_path / "data"), **TEAM}
    made = await run_cli_async(tmp_path, env, "exportar", *ALL_TIME, "tickets.csv")
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "2 tickets exportados a tickets.csv."
    raw = (tmp_path / "tickets.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert tuple(lines[0]) == COLUMNS
    first = dict(zip(COLUMNS, lines[1], strict=True))
    assert first["Ticket"] == "HD-1" and first["Correo"] == "xime@example.com"
    assert first["Técnico"] == "tecnico" and first["Estado"] == "Cerrado"
    assert first["Tipo de incidente"] == "Olvidé mi Contraseña"
    assert first["Resultado"] == "Resuelto" and first["Causa raíz"] == "Acceso o contraseña"
    assert first["Primer contacto a tiempo"] == "sí" and first["Resolución a tiempo"] == "sí"
    datetime.strptime(first["Recibido"], "%Y-%m-%d %H:%M")
    second = dict(zip(COLUMNS, lines[2], strict=True))
    assert second["Estado"] == "Sin asignar" and second["Cerrado"] == ""

    made = await run_cli_async(tmp_path, env, "exportar", *ALL_TIME, "tickets.xlsx")
    assert made.returncode == 0, made.stderr
    sheet = load_workbook(tmp_path / "tickets.xlsx", read_only=True)["Tickets"]
    table = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0] == COLUMNS and len(table) == 3
    assert isinstance(table[1][COLUMNS.index("Recibido")], datetime)
    assert table[1][COLUMNS.index("Ticket")] == "HD-1"


async def test_the_range_and_refusals(tmp_path: Path, start_desk, fake_slack: FakeSlack) -> None:
    await worked_desk(start_desk, fake_slack)
    env = {"HIB2B_DATA_DIR": str(tmp_path / "data"), **TEAM}

    async def export(*args: str):
        return await run_cli_async(tmp_path, env, "exportar", *args)

    future = await export("--desde", "2099-01-01", "--hasta", "2099-01-31", "vacio.csv")
    assert future.returncode == 0 and future.stdout.startswith("0 tickets")
    backwards = await export("--desde", "2026-02-01", "--hasta", "2026-01-01", "x.csv")
    assert backwards.returncode == 1 and "anterior a la inicial" in backwards.stderr
    unknown = await export(*ALL_TIME, "--cliente", "nadie", "x.csv")
    assert unknown.returncode == 1 and "No existe el cliente" in unknown.stderr
    wrong = await export(*ALL_TIME, "x.ods")
    assert wrong.returncode == 1 and ".csv o .xlsx" in wrong.stderr
    taken = await export(*ALL_TIME, "vacio.csv")
    assert taken.returncode == 1 and "ya existe" in taken.stderr
    bad_date = await export("--desde", "01/02/2026", "--hasta", "2026-02-01", "x.csv")
    assert bad_date.returncode != 0 and "AAAA-MM-DD" in bad_date.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["vacio.csv"]


async def test_a_formula_typed_on_the_form_stays_text_in_the_sheet(
    tmp_path: Path, start_desk, fake_slack: FakeSlack
) -> None:
    """A supplier's name a spreadsheet would run (`=HYPERLINK(…)`) reaches the lead as text."""
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    formula = '=HYPERLINK("http://malo.example/x","Abrir")'
    assert (await desk.submit(fields={**GOOD, "usuario": formula})).status == 303
    env = {"HIB2B_DATA_DIR": str(tmp_path / "data"), **TEAM}
    for name in ("t.csv", "t.xlsx"):
        made = await run_cli_async(tmp_path, env, "exportar", *ALL_TIME, name)
        assert made.returncode == 0, made.stderr
    text = (tmp_path / "t.csv").read_bytes().decode("utf-8-sig")
    [_, row] = list(csv.reader(text.splitlines()))
    assert row[COLUMNS.index("Usuario")] == "'" + formula
    book = load_workbook(tmp_path / "t.xlsx")  # not read-only: each cell's type is kept
    cell = book["Tickets"].cell(row=2, column=COLUMNS.index("Usuario") + 1)
    assert cell.data_type == "s" and cell.value == formula
