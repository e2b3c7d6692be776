"""`hib2b` (also `python -m bot`): with no arguments runs the service; with a sub-command, runs
it once against the same database and exits."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from dotenv import load_dotenv

from bot import clients, health, team, tickets
from bot.commands import Commands
from bot.config import ConfigError, Settings, load_settings
from bot.services import Services
from bot.text import is_number
from bot.workflow import Refused
from store import clients as client_store
from store import outbox as queue
from store.tickets import NumberingStarted, next_number

OPERATOR_COMMANDS = {
    "servir",
    "serve",
    "numeracion",
    "numbering",
    "entregas",
    "deliveries",
    "importar-clientes",
    "import-clients",
    "api-clave",
    "api-key",
    "respaldo",
    "backup",
    "estado",
    "status",
}
EPILOG = """Any other sub-command is a /hib2b line, e.g.: hib2b tomar HD-12 --as U0123ABCD,
hib2b responder 12 Ya quedó su contraseña, hib2b cerrar 12 acceso Se restableció el acceso.
Run `hib2b ayuda` for the whole list."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hib2b", description="Mesa de ayuda HIB2B.", epilog=EPILOG
    )
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="UXXXX",
        help="act as this Slack user (default: the operator, with lead rights)",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("servir", aliases=["serve"], help="run the service (the default)")
    numbering = sub.add_parser(
        "numeracion",
        aliases=["numbering"],
        help="show the next ticket number, or set it before the first ticket",
    )
    numbering.add_argument("siguiente", nargs="?", type=int, help="e.g. 166 to continue HD-165")
    deliveries = sub.add_parser(
        "entregas",
        aliases=["deliveries"],
        help="the delivery queue: list, or retry failed deliveries",
    )
    deliveries.add_argument(
        "accion", nargs="?", default="lista", choices=["lista", "list", "reintentar", "retry"]
    )
    deliveries.add_argument("ids", nargs="*", type=int, help="ids to retry (default: all failed)")
    sub.add_parser(
        "estado",
        aliases=["status"],
        help="how the running service is doing: workers, deliveries, errors (on the server)",
    )
    backup = sub.add_parser(
        "respaldo",
        aliases=["backup"],
        help="a consistent copy of the database, also while the service runs",
    )
    backup.add_argument("archivo", help="where to write the copy (must not exist)")
    importing = sub.add_parser(
        "importar-clientes",
        aliases=["import-clients"],
        help="add clients from a CSV file: clave,nombre,hosts,estado",
    )
    importing.add_argument("archivo", help="CSV file (UTF-8); hosts separated by ; or spaces")
    api = sub.add_parser(
        "api-clave",
        aliases=["api-key"],
        help="the portal's API keys: emitir CLAVE, lista, revocar ID",
    )
    api.add_argument("accion", choices=["emitir", "issue", "lista", "list", "revocar", "revoke"])
    api.add_argument("objeto", nargs="?", help="client key (emitir) or key id (revocar)")
    return parser


def _split(argv: list[str]) -> tuple[str | None, list[str]]:
    """`--as U…` wherever it stands, and the rest of the line."""
    actor, rest, words = None, [], iter(argv)
    for word in words:
        if word == "--as":
            actor = next(words, None)
        elif word.startswith("--as="):
            actor = word.split("=", 1)[1]
        else:
            rest.append(word)
    return actor, rest


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # the database, attachments, emails and keys are for this user only
    load_dotenv(".env", override=False)
    words = list(sys.argv[1:] if argv is None else argv)
    actor, rest = _split(words)
    line = None
    if rest and not rest[0].startswith("-") and rest[0] not in OPERATOR_COMMANDS:
        line = " ".join(rest)  # a /hib2b line
        args = argparse.Namespace(command="hib2b", actor=actor)
    else:
        args = _parser().parse_args(words)
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        print(f"hib2b: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command in (None, "servir", "serve"):
        return serve(settings)
    if args.command in ("estado", "status"):
        return asyncio.run(_status(settings))
    return asyncio.run(_once(settings, args, line))


def serve(settings: Settings) -> int:
    # The entry point is the one place that reaches out to the inbound adapters.
    from bot.app import serve as run_service

    return run_service(settings)


async def _status(settings: Settings) -> int:
    """Asks the running service, signing with the desk's own key: only someone who can read
    the server's configuration or data folder sees error texts."""
    services = Services(settings)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(settings.host, settings.host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.port}/estado"
    token = services.signer.sign("estado", "cli", services.now())
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(url, headers={"Authorization": f"Bearer {token}"}) as response,
        ):
            if response.status != 200:
                print(f"hib2b: the service at {url} answered {response.status}", file=sys.stderr)
                return 1
            body = await response.json()
    except (aiohttp.ClientError, TimeoutError) as error:
        print(f"hib2b: no service answers at {url}: {error}", file=sys.stderr)
        return 1
    print(health.plain(body))
    return 0 if body["status"] == "ok" else 1


async def _once(settings: Settings, args: argparse.Namespace, line: str | None) -> int:
    services = Services(settings)
    await services.start(deliver=False)
    try:
        if line is not None:
            return await _hib2b(services, args.actor, line)
        return await _run(services, args)
    finally:
        await services.stop()


async def _hib2b(services: Services, user: str | None, line: str) -> int:
    """One /hib2b line, as `user` or as the operator (lead rights)."""
    actor = await team.actor_for(services.db, services.settings, user or team.OPERATOR.user_id)
    reply = await Commands(services).run(actor, line, for_slack=False)
    print(reply.text)
    if reply.publish is not None:
        # The command line has no channel of its own: what would be posted is shown here.
        print(reply.publish.plain)
    # The service, if running, sends what this queued at its next look (within seconds).
    return 1 if reply.refused or reply.modal is not None else 0


async def _run(services: Services, args: argparse.Namespace) -> int:
    actor = args.actor or team.OPERATOR.user_id
    if args.command in ("respaldo", "backup"):
        target = Path(args.archivo)
        try:
            await services.db.backup(target)
        except sqlite3.OperationalError as error:
            # VACUUM INTO never overwrites: an existing file is refused here.
            print(f"No pude escribir {target} (¿ya existe?): {error}", file=sys.stderr)
            return 1
        print(f"Respaldo escrito en {target}.")
        return 0
    if args.command in ("importar-clientes", "import-clients", "api-clave", "api-key"):
        return await _clients(services, args, actor)
    if args.command in ("numeracion", "numbering"):
        if args.siguiente is None:
            print(f"Siguiente ticket: HD-{await next_number(services.db)}")
            return 0
        try:
            await tickets.set_next_number(services.db, args.siguiente, services.now(), actor)
        except NumberingStarted:
            print(
                "La numeración ya comenzó: solo puede fijarse antes del primer ticket.",
                file=sys.stderr,
            )
            return 1
        except ValueError as error:
            print(f"Número no válido: {error}", file=sys.stderr)
            return 1
        print(f"El siguiente ticket será HD-{args.siguiente}.")
        return 0
    if args.command in ("entregas", "deliveries"):
        if args.accion in ("reintentar", "retry"):
            count = await queue.retry_failed(services.db, services.now(), args.ids or None)
            print(f"{count} entrega(s) de nuevo en la cola; el servicio las enviará en segundos.")
            return 0
        return _print_deliveries(await queue.deliveries(services.db))
    raise ValueError(f"unknown command {args.command!r}")


async def _clients(services: Services, args: argparse.Namespace, user: str) -> int:
    actor = await team.actor_for(services.db, services.settings, user)
    now = services.now()
    try:
        if args.command in ("importar-clientes", "import-clients"):
            try:
                text = await asyncio.to_thread(Path(args.archivo).read_text, encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                print(f"No pude leer {args.archivo}: {error}", file=sys.stderr)
                return 1
            result = await clients.import_csv(services.db, actor, text, now)
            print(f"{result.added} cliente(s) dados de alta.")
            for problem in result.problems:
                print(problem, file=sys.stderr)
            return 1 if result.problems else 0
        if args.accion in ("emitir", "issue"):
            key = await clients.issue_api_key(services.db, actor, args.objeto or "", now)
            print(key)
            print("Guárdela ahora: no se vuelve a mostrar.", file=sys.stderr)
            return 0
        if args.accion in ("revocar", "revoke"):
            if not is_number(args.objeto or ""):
                print("Indique el id de la clave (hib2b api-clave lista).", file=sys.stderr)
                return 1
            print(await clients.revoke_api_key(services.db, actor, int(args.objeto), now))
            return 0
    except Refused as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    for key in await client_store.api_keys(services.db):
        state = f"revocada {key['revoked_at'][:10]}" if key["revoked_at"] else "activa"
        print(f"{key['id']:>4}  {key['client']:<16} {key['prefix']}…  {state}")
    return 0


def _print_deliveries(items: list) -> int:
    waiting = [d for d in items if d.status != "done"]
    if not waiting:
        print("Nada pendiente: todas las entregas se completaron.")
        return 0
    for d in waiting:
        print(f"{d.id:>6}  {d.status:<8} {d.key:<28} intentos={d.attempts:<3} {d.last_error}")
    return 0
