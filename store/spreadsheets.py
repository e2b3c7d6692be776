"""Writing the export: CSV (UTF-8 with BOM, so Excel reads the accents) or XLSX (our own
SpreadsheetML writer, real dates), streamed a page of rows at a time (written in a thread: the
loop never waits on the disk) into a file beside the target, renamed into place when complete:
never a half file under the name asked for."""

from __future__ import annotations

import asyncio
import csv
import math
import os
import re
import tempfile
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

FORMATS = (".csv", ".xlsx")
CSV_TIME = "%Y-%m-%d %H:%M"
PAGE = 1000
# A cell a spreadsheet would read as a formula (`=HYPERLINK(…)` as a supplier's name): kept as
# text. CSV has no types, so such a cell gets a leading apostrophe (OWASP's advice); in XLSX
# every string is an inline string, which Excel never evaluates.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[str | float | datetime | None]


class _Sink(Protocol):
    def add(self, rows: list[Row]) -> None: ...
    def close(self) -> None: ...


async def write(target: Path, columns: Sequence[str], rows: AsyncIterator[Row]) -> int:
    """Write the rows to `target` in the format its extension names; returns how many."""
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{target.name}: el archivo debe terminar en .csv o .xlsx")
    if await asyncio.to_thread(target.exists):
        raise FileExistsError(f"{target} ya existe")
    partial = target.with_name(f".{target.name}.parcial")
    kind = _Csv if suffix == ".csv" else _Xlsx
    try:
        sink = await asyncio.to_thread(kind, partial, columns)
        count, page = 0, []
        try:
            async for values in rows:
                page.append(values)
                if len(page) == PAGE:
                    await asyncio.to_thread(sink.add, page)
                    count, page = count + len(page), []
            await asyncio.to_thread(sink.add, page)
        finally:
            await asyncio.to_thread(sink.close)
        await asyncio.to_thread(os.replace, partial, target)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
    return count + len(page)


def _csv_cell(value: str | float | datetime | None) -> str | float:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(CSV_TIME)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Csv:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._handle: IO[str] = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._out = csv.writer(self._handle)
        self._out.writerow(columns)

    def add(self, rows: list[Row]) -> None:
        for values in rows:
            self._out.writerow([_csv_cell(value) for value in values])

    def close(self) -> None:
        self._handle.close()


# --- XLSX: openpyxl spends ~10 µs on each cell, most of the budget for 100,000 tickets; the
# sheet is simple enough (inline strings, numbers, one date style) to write as text ourselves.

SHEET_NAME = "Tickets"
MAX_ROWS = 1_048_576  # rows in an Excel sheet, the header included
SHEET_PART = "xl/worksheets/sheet1.xml"
# The sheet's XML is repetitive: level 1 leaves it ~20% bigger than the default (6) does, in
# well under half the time (1.5 s less for 100,000 tickets).
ZIP_LEVEL = 1
# Indexes into styles.xml's cellXfs.
DATE_STYLE = 1
HEADER_STYLE = 2
# Excel's limit for one cell; a longer one makes it "repair" the whole file.
CELL_MAX_CHARS = 32_767
# Excel's day 0 in the 1900 date system (which counts a 29 February 1900 that never was).
EXCEL_EPOCH = datetime(1899, 12, 30)
WIDTH_MIN, WIDTH_MAX, DATE_WIDTH = 8, 50, 16

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

_PARTS = {
    "[Content_Types].xml": (
        f"{_DECLARATION}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
        f'<Override PartName="/{SHEET_PART}" ContentType="{_OFFICE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'{_DECLARATION}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        "<bookViews><workbookView/></bookViews>"
        f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_DECLARATION}<Relationships xmlns="{_PKG_REL_NS}">'
        f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
        f'Target="{SHEET_PART.removeprefix("xl/")}"/>'
        f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Excel reserves the first two fills (none, gray125) whatever they say: they are written as
    # it expects, with the Normal style every workbook has.
    "xl/styles.xml": (
        f'{_DECLARATION}<styleSheet xmlns="{_MAIN_NS}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
        '<fonts count="2">'
        '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
        "</fonts>"
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET_TAIL = "</sheetData></worksheet>"

# What XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/F).
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads `_xHHHH_` in a string as an escaped character: a literal one is escaped in turn.
_EXCEL_ESCAPE = re.compile("_x[0-9A-Fa-f]{4}_")
# One search decides whether a string needs any of the slow path (almost none do).
_NEEDS_WORK = re.compile(
    "[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_XML_SPACE = " \t\n\r"


def xml_text(value: str) -> str:
    """`value` as SpreadsheetML string content: escaped, without what XML cannot carry."""
    if len(value) > CELL_MAX_CHARS:
        value = value[:CELL_MAX_CHARS]
    if _NEEDS_WORK.search(value) is None:
        return value
    value = _UNWRITABLE.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # A parser turns a raw CR (or CRLF) into LF; a reference keeps it.
    value = value.replace("\r", "&#13;")
    return _EXCEL_ESCAPE.sub(lambda found: "_x005F" + found.group(), value)


def excel_serial(moment: datetime) -> float:
    """Days since Excel's epoch, the time of day as the fraction (1900 date system)."""
    if moment.tzinfo is not None:
        raise TypeError("Excel has no time zones: pass a naive (local) datetime")
    delta = moment - EXCEL_EPOCH
    days = delta.days
    if 0 < days <= 60:  # before 1 March 1900 Excel's count is one day short
        days -= 1
    return days + (delta.seconds + delta.microseconds / 1_000_000) / 86_400


@lru_cache(maxsize=64)
def column_letters(count: int) -> tuple[str, ...]:
    """The first `count` column names: A … Z, AA …"""
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return tuple(letters)


def cell_xml(ref: str, value: Any, style: int = 0) -> str:
    """One `<c>` element, or "" for an empty cell (None or ""): no element at all."""
    kind = type(value)
    styled = f' s="{style}"' if style else ""
    # Exact types first: the usual cells take one comparison.
    if kind is str:
        return _string_cell(ref, value, styled) if value else ""
    if kind is float or kind is int:
        if kind is float and not math.isfinite(value):
            return _string_cell(ref, str(value), styled)  # no such number in a spreadsheet
        return f'<c r="{ref}"{styled}><v>{value!r}</v></c>'
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{DATE_STYLE}"><v>{excel_serial(value)!r}</v></c>'
    if kind is bool:
        return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):  # an int or float subclass: its plain value
        return cell_xml(ref, float(value), style)
    return cell_xml(ref, str(value), style)


def _string_cell(ref: str, value: str, styled: str) -> str:
    text = xml_text(value)
    if not text:
        return ""
    # Without it, Excel drops the spaces a supplier left at either end.
    space = ' xml:space="preserve"' if text[0] in _XML_SPACE or text[-1] in _XML_SPACE else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def row_xml(number: int, values: Sequence[Any], style: int = 0) -> str:
    """One `<row>`: its cells with their references (the empty ones left out)."""
    n = str(number)
    letters = column_letters(len(values))
    cells = "".join([cell_xml(letters[i] + n, value, style) for i, value in enumerate(values)])
    return f'<row r="{n}">{cells}</row>'


def column_width(header: str, values: Sequence[Any]) -> int:
    """A width (in characters) that shows the header and the sample's values."""
    widest = len(header) + 2  # the header is bold
    for value in values:
        if isinstance(value, datetime):
            widest = max(widest, DATE_WIDTH)
        elif isinstance(value, str):
            widest = max(widest, len(value))
        elif value is not None:
            widest = max(widest, len(repr(value)))
    return min(max(widest + 1, WIDTH_MIN), WIDTH_MAX)


def sheet_head(columns: Sequence[str], sample: Sequence[Row]) -> str:
    """The worksheet up to `<sheetData>`: the header row frozen, widths fitted to `sample`."""
    cols = []
    for index, header in enumerate(columns):
        width = column_width(header, [row[index] for row in sample if len(row) > index])
        cols.append(f'<col min="{index + 1}" max="{index + 1}" width="{width}" customWidth="1"/>')
    return (
        f'{_DECLARATION}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{''.join(cols)}</cols>" if cols else "")
        + "<sheetData>"
    )


class _Xlsx:
    """The sheet's XML goes a page at a time to a scratch file beside the target, then into the
    zip in one piece once its size is known: zipfile then adds ZIP64 headers only to a sheet
    that needs them (over 2 GiB). Streaming straight into the zip needs them forced on every
    sheet, and Excel is reported to refuse small workbooks with ZIP64 headers."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._path = path
        self._columns = tuple(columns)
        self._rows = 0
        # Beside the target, not in /tmp: the scratch is ~10× the workbook, and /tmp may be RAM.
        self._scratch: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=path.parent, prefix=f".{path.name}.", suffix=".xml"
        )

    def add(self, rows: list[Row]) -> None:
        if self._rows + len(rows) > MAX_ROWS:
            raise ValueError(
                f"más de {MAX_ROWS - 1:,} tickets no caben en una hoja de Excel: use .csv "
                "o un periodo más corto"
            )
        parts = []
        if self._rows == 0:
            # The column widths must come before the first row: fitted to the first page.
            parts.append(sheet_head(self._columns, rows))
            parts.append(row_xml(1, self._columns, HEADER_STYLE))
            self._rows = 1
        for values in rows:
            self._rows += 1
            parts.append(row_xml(self._rows, values))
        self._scratch.write("".join(parts).encode())

    def close(self) -> None:
        try:
            if self._rows == 0:
                self.add([])
            self._scratch.write(SHEET_TAIL.encode())
            self._scratch.flush()
            with zipfile.ZipFile(
                self._path, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL
            ) as book:
                for name, text in _PARTS.items():
                    book.writestr(name, text)
                book.write(self._scratch.name, SHEET_PART)
        finally:
            self._scratch.close()
