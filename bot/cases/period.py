"""Period reports and exports: gathered and drawn for the command line, asked for from Slack
(queued for the reports lane, which prepares the file when it sends it), and prepared for that
lane (`prepare`): the chart or the sheet written to the data folder's `salida/`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cases import lookups, team
from bot.cases.parts import Parts
from bot.domain import deliveries
from bot.domain.change import Refused
from bot.domain.deliveries import EXPORT, REPORT, Prepared
from bot.domain.period_report import NO_CLIENT, PeriodReport, summarize
from bot.domain.periods import MAX_DAYS, Period
from bot.domain.text import slack_escape
from bot.render import chart
from bot.render import export as export_render
from bot.render import period as period_text
from store import outbox as queue
from store import reports as store
from store import spreadsheets
from store import tickets as ticket_store
from store.models import Client

OUTGOING = "salida"  # in the data folder: files waiting for the reports lane to upload them
EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_PAGE = 1000  # tickets read at a time


@dataclass(frozen=True)
class Drawn:
    report: PeriodReport
    names: dict[str, str]  # client key → name, for the text
    data: bytes  # the chart (png) or the chart and the summary (pdf)

    def text(self, slack: bool = True) -> str:
        if slack:
            return period_text.slack_text(self.report, self.names)
        return period_text.plain_text(self.report, self.names)


async def _clients(parts: Parts, client: str | None) -> dict[str, Client]:
    known = {found.key: found for found in await lookups.clients(parts.db)}
    if client is not None and client not in known:
        raise Refused(f"No existe el cliente `{client}`.")
    return known


async def gather(parts: Parts, period: Period, client: str | None = None) -> Drawn:
    """The report of `period` (of one client, by key, or the desk's), without its chart."""
    if period.days > MAX_DAYS:
        raise Refused("El periodo es demasiado largo (más de dos años): use `hib2b exportar`.")
    known = await _clients(parts, client)
    zone = ZoneInfo(parts.settings.timezone)
    start = datetime.combine(period.since, time(), zone)
    end = datetime.combine(period.until + timedelta(days=1), time(), zone)
    rows = await store.touched(parts.db, start, end, client)
    policies = parts.policies
    deadlines: dict[tuple[str, str], float] = {}

    def deadline_of(owner: str, severity: str) -> float:
        found = deadlines.get((owner, severity))
        if found is None:
            policy = policies.of(known.get(owner)) if owner != NO_CLIENT else policies.default
            found = deadlines[owner, severity] = policy.budget(severity)[1].total_seconds()
        return found

    # Counting is a pass over every row: in a thread, so the loop keeps answering meanwhile.
    report = await asyncio.to_thread(summarize, rows, period, zone, deadline_of, client)
    return Drawn(report, {key: found.name for key, found in known.items()}, b"")


async def draw(parts: Parts, period: Period, client: str | None = None, fmt: str = "png") -> Drawn:
    """The report with its chart as `fmt` (png or pdf), drawn in a thread."""
    gathered = await gather(parts, period, client)
    data = await asyncio.to_thread(chart.draw, gathered.report, gathered.names, fmt)
    return Drawn(gathered.report, gathered.names, data)


async def export(parts: Parts, target: Path, period: Period, client: str | None = None) -> int:
    """The tracker sheet of the tickets received in `period` to `target` (.csv or .xlsx);
    returns how many. Raises `Refused`, ValueError (the format) or OSError (the disk)."""
    rows = export_rows(parts, period, client)
    return await spreadsheets.write(target, export_render.COLUMNS, rows)


async def export_rows(
    parts: Parts, period: Period, client: str | None = None
) -> AsyncIterator[tuple[export_render.Cell, ...]]:
    """The rows of `export`, a page of the store at a time: memory stays flat whatever the
    desk's size."""
    db, settings = parts.db, parts.settings
    known = await _clients(parts, client)
    zone = ZoneInfo(settings.timezone)
    start = datetime.combine(period.since, time(), zone)
    end = datetime.combine(period.until + timedelta(days=1), time(), zone)
    policies = {key: parts.policies.of(found) for key, found in known.items()}
    after = 0
    while True:
        page = await ticket_store.tickets_received(db, start, end, client, after, EXPORT_PAGE)
        for ticket in page:
            policy = policies.get(ticket["client"] or "", parts.policies.default)
            yield export_render.row(ticket, policy, zone)
        if len(page) < EXPORT_PAGE:
            return
        after = page[-1]["number"]


# --- asked from Slack, sent by the reports lane ---------------------------------------------
async def ask_report(parts: Parts, key: str, period: Period, client: str | None, to: str) -> None:
    """Queue the report for the reports lane; checked now, so a refusal is said at once."""
    await _clients(parts, client)
    await _queue(parts, deliveries.report(key, period, client, to))


async def ask_export(
    parts: Parts, key: str, period: Period, client: str | None, fmt: str, to: str
) -> None:
    await _clients(parts, client)
    if fmt not in EXPORT_FORMATS:
        raise Refused("El formato es `csv` o `xlsx`.")
    await _queue(parts, deliveries.export(key, period, client, fmt, to))


async def _queue(parts: Parts, item: Any) -> None:
    async with parts.db.transaction() as conn:
        await queue.enqueue(conn, item, parts.now())
    parts.wake_outbox(settled=False)


async def prepare(parts: Parts, kind: str, payload: dict[str, Any], key: str) -> Prepared:
    """The file a queued report or export sends, written to `salida/` (replaced if an earlier
    try left one)."""
    period = deliveries.period_of(payload)
    client = payload.get("client")
    to = payload["to"]
    if to != deliveries.TO_CHANNEL:
        # Asked maybe hours ago (Slack was down): the person must still be who may have it.
        actor = await team.actor_for(parts.db, parts.settings, to)
        if actor.role is None or (kind == EXPORT and not actor.is_lead):
            raise Refused(
                f"{to} ya no puede recibir este {'reporte' if kind == REPORT else 'archivo'}"
            )
    folder = parts.settings.data_dir / OUTGOING
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True, mode=0o700)
    stem = re.sub(r"[^a-z0-9-]+", "-", key.lower()).strip("-")
    names = {found.key: found.name for found in await lookups.clients(parts.db)}
    of = f" de {names.get(client, client)}" if client else ""
    if kind == REPORT:
        drawn = await draw(parts, period, client)
        path = folder / f"{stem}.png"
        await asyncio.to_thread(path.write_bytes, drawn.data)
        filename = f"reporte-{period.since}-{period.until}.png"
        return Prepared(path, filename, period_text.title(drawn.report, names), drawn.text())
    if kind == EXPORT:
        fmt = payload["format"]
        path = folder / f"{stem}.{fmt}"
        await asyncio.to_thread(path.unlink, missing_ok=True)
        count = await export(parts, path, period, client)
        filename = f"tickets-{period.since}-{period.until}{'-' + client if client else ''}.{fmt}"
        comment = (
            f"Exportación de tickets recibidos {period.span()}{slack_escape(of)}: {count} "
            f"ticket{'' if count == 1 else 's'}."
        )
        return Prepared(path, filename, filename, comment)
    raise ValueError(f"not a report or an export: {kind}")
