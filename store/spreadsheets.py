"""Writing the export: CSV (UTF-8 with BOM, so Excel reads the accents) or XLSX (openpyxl's
write-only workbook, real dates), streamed a page of rows at a time (written in a thread: the
loop never waits on the disk) into a file beside the target, renamed into place when complete:
never a half file under the name asked for."""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMATS = (".csv", ".xlsx")
CSV_TIME = "%Y-%m-%d %H:%M"
PAGE = 1000
# A cell a spreadsheet would read as a formula (`=HYPERLINK(…)` as a supplier's name): kept as
# text. CSV has no types, so such a cell gets a leading apostrophe (OWASP's advice); XLSX says
# "string" outright.
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


class _Xlsx:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Tickets")
        self._sheet.append(list(columns))

    def add(self, rows: list[Row]) -> None:
        # Plain values: openpyxl makes each cell once and gives dates a date format itself
        # (wrapping them in cells first made it twice as slow); an empty one is no cell at all.
        for values in rows:
            self._sheet.append([self._cell(value) for value in values])

    def _cell(self, value: str | float | datetime | None) -> object:
        if value == "":
            return None
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.data_type = "s"  # openpyxl would store it as a formula
            return cell
        return value

    def close(self) -> None:
        self._book.save(self._path)
