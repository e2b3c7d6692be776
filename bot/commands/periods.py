"""`/hib2b reporte` and `/hib2b exportar` from Slack: checked now (who asks, which client,
which days), then queued for the reports lane, which draws the chart or writes the sheet and
sends it — by DM to whoever asked, or in the support channel (`reporte … publicar`, leads).
The command line writes files itself (`hib2b reporte --salida`, `hib2b exportar`)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.cases import period
from bot.cases.parts import Parts
from bot.commands.reply import Asked, Reply
from bot.domain import requests as r
from bot.domain.change import Refused
from bot.domain.deliveries import TO_CHANNEL
from bot.domain.periods import MAX_DAYS, Period, named

IN_SLACK_ONLY = (
    "Desde la terminal: `hib2b reporte --desde AAAA-MM-DD --hasta AAAA-MM-DD --salida "
    "reporte.png` o `hib2b exportar --desde … --hasta … archivo.xlsx`."
)


def _period(span: r.Span, today: date, longest: int | None = None) -> Period:
    if span.since is not None and span.until is not None:
        found = Period(span.since, span.until)
    else:
        found = named(span.word, today)
    if longest is not None and found.days > longest:
        raise Refused("El periodo es demasiado largo (más de dos años): use `exportar`.")
    return found


def _today(parts: Parts) -> date:
    return parts.now().astimezone(ZoneInfo(parts.settings.timezone)).date()


def _occasion(asked: Asked, parts: Parts) -> str:
    # Slack's retry of the same request carries the same key: it is queued once.
    return asked.key or f"{asked.actor.user_id}:{parts.now().isoformat(timespec='microseconds')}"


async def ask_report(parts: Parts, asked: Asked, request: r.AskReport) -> Reply:
    if not asked.for_slack:
        return Reply(IN_SLACK_ONLY, refused=True)
    if request.publish and not asked.actor.is_lead:
        raise Refused("Publicar el reporte en el canal es para los líderes.")
    days = _period(request.span, _today(parts), MAX_DAYS)
    to = TO_CHANNEL if request.publish else asked.actor.user_id
    await period.ask_report(parts, _occasion(asked, parts), days, request.client, to)
    where = "en el canal de soporte" if request.publish else "por mensaje directo"
    return Reply(f"Preparo el reporte {days.span()}; llega {where} en unos segundos.")


async def ask_export(parts: Parts, asked: Asked, request: r.AskExport) -> Reply:
    if not asked.for_slack:
        return Reply(IN_SLACK_ONLY, refused=True)
    if not asked.actor.is_lead:
        raise Refused("Exportar los tickets es para los líderes.")
    days = _period(request.span, _today(parts))
    await period.ask_export(
        parts, _occasion(asked, parts), days, request.client, request.fmt, asked.actor.user_id
    )
    return Reply(
        f"Preparo la exportación ({request.fmt.upper()}) de los tickets recibidos "
        f"{days.span()}; llega por mensaje directo en unos segundos."
    )


HANDLERS = {r.AskReport: ask_report, r.AskExport: ask_export}
