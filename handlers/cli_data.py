"""The operator's commands about the desk's data, from the command line: the export
(`hib2b exportar`), a period's report (`hib2b reporte`) and a person's data (`hib2b
privacidad`). Called by `handlers.cli` once it has parsed the words."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.desk import Desk
from bot.domain.change import Actor, Refused
from bot.render.privacy import found as privacy_text


async def export(desk: Desk, args: argparse.Namespace) -> int:
    target = Path(args.archivo)
    try:
        count = await desk.operator.export(target, args.desde, args.hasta, args.cliente)
    except Refused as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    except (ValueError, OSError) as error:
        print(f"No exporté nada: {error}", file=sys.stderr)
        return 1
    print(f"{count} tickets exportados a {target}.")
    return 0


async def report(desk: Desk, args: argparse.Namespace) -> int:
    today = desk.now().astimezone(ZoneInfo(desk.settings.timezone)).date()
    if args.periodo:
        days = 7 if args.periodo == "semana" else 30
        since, until = today - timedelta(days=days - 1), today
    elif args.desde and args.hasta:
        since, until = args.desde, args.hasta
    else:
        print("Indique `semana`, `mes` o --desde y --hasta.", file=sys.stderr)
        return 2
    target = Path(args.salida) if args.salida else None
    fmt = target.suffix.lower().lstrip(".") if target else "png"
    if target is not None and (fmt not in ("png", "pdf") or target.exists()):
        problem = "ya existe" if fmt in ("png", "pdf") else "debe terminar en .png o .pdf"
        print(f"No escribí el reporte: {target} {problem}.", file=sys.stderr)
        return 1
    try:
        drawn = await desk.operator.report(since, until, args.cliente, fmt if target else "")
    except Refused as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    print(drawn.text(slack=False))
    if target is not None:
        try:
            await asyncio.to_thread(_write_new, target, drawn.data)
        except OSError as error:
            print(f"No escribí el reporte: {error}", file=sys.stderr)
            return 1
        print(f"\nGráfica escrita en {target}.")
    return 0


async def privacy(desk: Desk, args: argparse.Namespace, actor: Actor) -> int:
    operator, correo = desk.operator, args.correo
    if args.accion in ("exportar", "export"):
        stamp = desk.now().strftime("%Y%m%d-%H%M%S")
        target = Path(args.salida or f"datos-{stamp}.zip")
        found = await operator.privacy_export(correo, target, actor)
        print(
            f"{len(found.tickets)} ticket(s), {len(found.emails)} correo(s) y "
            f"{len(found.attachments)} archivo(s) de {correo} en {target}."
        )
        return 0
    if args.accion in ("suprimir", "suppress") and args.confirmar:
        done = await operator.privacy_suppress(correo, actor)
        print(
            f"Datos de {correo} suprimidos en {done.tickets} ticket(s): {done.files_deleted} "
            f"archivo(s) borrados, {done.mentions} mención(es) en otros tickets borradas. "
            "Los tickets quedan como estadística anónima."
        )
        print(
            "Quedan fuera de este servidor: los respaldos anteriores y los mensajes ya "
            "publicados en Slack (las tarjetas se redibujan sin los datos; el hilo no)."
        )
        if not done.wal_emptied:
            print(
                "Una lectura en curso impidió vaciar el registro de escritura (WAL) de la base: "
                "repita esta orden en unos minutos para vaciarlo."
            )
        return 0
    found = await operator.privacy_find(correo, actor)
    print(privacy_text(found))
    if args.accion in ("suprimir", "suppress"):
        print("\nNada se suprimió: repita con --confirmar para suprimirlo.", file=sys.stderr)
        return 1
    return 0


def _write_new(target: Path, data: bytes) -> None:
    with open(target, "xb") as handle:
        handle.write(data)
