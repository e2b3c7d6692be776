"""`hib2b exportar` as an operator runs it (the real command line in its own process): the
tracker sheet's columns in their order, real dates in XLSX, accents Excel reads in CSV, the range
and the client as asked, clear refusals with nothing written."""

from __future__ import annotations

import csv
import json
import warnings
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from bot.render.export import COLUMNS
from store import spreadsheets as export_files
from store.spreadsheets import Row, cell_xml, column_letters, excel_serial, row_xml, xml_text
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


# The XLSX writer's pieces, without files: what Excel is given for each kind of value.


def test_text_is_escaped_and_what_xml_cannot_carry_is_dropped() -> None:
    assert xml_text("Ximena López") == "Ximena López"
    assert xml_text("""<a href="x">&'""") == """&lt;a href="x"&gt;&amp;'"""
    assert xml_text("a\x00b\x07c\x1fd\ufffee\ud800f") == "abcdef"
    assert xml_text("línea\tuna\nlínea dos") == "línea\tuna\nlínea dos"
    assert xml_text("a\r\nb") == "a&#13;\nb"  # a parser would turn a raw CR into LF
    # Excel reads `_x0041_` as "A": a supplier's literal one is escaped to stay as typed.
    assert xml_text("id_x0041_z") == "id_x005F_x0041_z"
    assert xml_text("x" * 40_000) == "x" * 32_767  # Excel's most for a cell


def test_each_kind_of_value_becomes_its_cell() -> None:
    assert cell_xml("B2", "") == cell_xml("B2", None) == ""
    assert cell_xml("B2", "\x01") == ""  # nothing writable left
    assert cell_xml("B2", 1.5) == '<c r="B2"><v>1.5</v></c>'
    assert cell_xml("B2", 3) == '<c r="B2"><v>3</v></c>'
    assert cell_xml("B2", True) == '<c r="B2" t="b"><v>1</v></c>'
    assert cell_xml("B2", float("nan")) == '<c r="B2" t="inlineStr"><is><t>nan</t></is></c>'
    assert cell_xml("B2", "=1+2") == '<c r="B2" t="inlineStr"><is><t>=1+2</t></is></c>'
    assert cell_xml("B2", " hola ") == (
        '<c r="B2" t="inlineStr"><is><t xml:space="preserve"> hola </t></is></c>'
    )
    assert cell_xml("B2", datetime(2026, 1, 5, 9, 30)) == (
        f'<c r="B2" s="{export_files.DATE_STYLE}"><v>46027.395833333336</v></c>'
    )


def test_dates_are_excel_serials_in_the_1900_system() -> None:
    assert excel_serial(datetime(1900, 1, 1)) == 1
    assert excel_serial(datetime(1900, 2, 28)) == 59
    assert excel_serial(datetime(1900, 3, 1)) == 61  # Excel's 29 February 1900 is 60
    assert excel_serial(datetime(2026, 1, 5, 18)) == 46027.75
    with pytest.raises(TypeError):
        excel_serial(datetime(2026, 1, 5, tzinfo=UTC))


def test_a_row_names_its_cells_and_leaves_the_empty_ones_out() -> None:
    assert row_xml(7, ("a", "", None, 2.0)) == (
        '<row r="7"><c r="A7" t="inlineStr"><is><t>a</t></is></c><c r="D7"><v>2.0</v></c></row>'
    )
    assert column_letters(28)[-3:] == ("Z", "AA", "AB")
    assert column_letters(703)[-1] == "AAA"


# The written file, as Excel's readers see it.

TRICKY = '  <b>Tom & Jerry\'s</b> "ok" 😀\tfin\x00\x1b '
TRICKY_READ = '  <b>Tom & Jerry\'s</b> "ok" 😀\tfin '
WHEN = datetime(2026, 3, 1, 14, 5)
ROWS: list[Row] = [
    ("HD-1", WHEN, '=HYPERLINK("http://malo.example")', 2.25, TRICKY, "", None, "@SUM(A1)"),
    ("HD-2", None, "Ñandú S.A.", 0.0, "línea 1\r\nlínea 2", "-", "+52 55", "\tx"),
]
HEADERS = ("Ticket", "Recibido", "Usuario", "Horas", "Nota", "Vacío", "Nada", "Otro")


async def _rows(rows: list[Row]) -> AsyncIterator[Row]:
    for row in rows:
        yield row


async def test_the_xlsx_opens_clean_with_each_value_as_typed(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    assert await export_files.write(target, HEADERS, _rows(ROWS)) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]  # no scratch, no partial file
    with zipfile.ZipFile(target) as book:
        assert book.testzip() is None
        for part in book.infolist():
            ElementTree.fromstring(book.read(part))  # every part is well-formed XML
            # No ZIP64 headers on a small workbook: Excel is reported to refuse them.
            assert part.extra == b"" and part.extract_version == 20
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = load_workbook(target)
        fast = load_workbook(target, read_only=True)
    assert full.sheetnames == ["Tickets"]
    sheet = full["Tickets"]
    expected = [
        HEADERS,
        ("HD-1", WHEN, ROWS[0][2], 2.25, TRICKY_READ, None, None, "@SUM(A1)"),
        ("HD-2", None, "Ñandú S.A.", 0.0, "línea 1\r\nlínea 2", "-", "+52 55", "\tx"),
    ]
    assert [tuple(row) for row in sheet.iter_rows(values_only=True)] == expected
    assert [tuple(row) for row in fast["Tickets"].iter_rows(values_only=True)] == expected
    fast.close()
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].data_type == "n"
    for formula_like in ("C2", "H2", "F3", "G3", "H3"):
        assert sheet[formula_like].data_type == "s"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= 16  # a date shows whole


async def test_an_empty_xlsx_still_has_its_header(tmp_path: Path) -> None:
    target = tmp_path / "vacio.xlsx"
    assert await export_files.write(target, HEADERS, _rows([])) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sheet = load_workbook(target, read_only=True)["Tickets"]
        assert [tuple(row) for row in sheet.iter_rows(values_only=True)] == [HEADERS]
