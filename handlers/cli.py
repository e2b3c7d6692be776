"""The command line as an inbound edge: `hib2b <sub-command>` parsed into calls on the desk's
facade, answers printed. Any sub-command that is not an operator's is a `/hib2b` line. The
entry point (`bot.cli`) loads the settings and builds the desk."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from datetime import date, datetime
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.desk import Asked, BackupError, Desk, NumberingStarted, restore_backup
from bot.domain.change import Actor, Refused
from bot.domain.text import is_number
from bot.domain.tokens import Signer
from bot.render.health import plain as plain_health
from handlers import cli_data as data

OPERATOR_ID = "operador"  # acts with lead rights
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
    "restaurar",
    "restore",
    "exportar",
    "export",
    "reporte",
    "report",
    "privacidad",
    "privacy",
    "estado",
    "status",
    "oauth2",
    "migrar",
    "migrate",
}
CREATE_FLAGS = ("--crear", "--create")
# The service creates its database; a restore fills an empty folder; `estado` asks the service.
NEEDS_NO_DATABASE = {
    None,
    "servir",
    "serve",
    "restaurar",
    "restore",
    "estado",
    "status",
    "oauth2",
    "migrar",
    "migrate",
}
EPILOG = """Any other sub-command is a /hib2b line, e.g.: hib2b tomar HD-12 --as U0123ABCD,
hib2b responder 12 Ya quedó su contraseña, hib2b cerrar 12 acceso Se restableció el acceso.
Run `hib2b ayuda` for the whole list."""


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hib2b", description="Mesa de ayuda HIB2B.", epilog=EPILOG
    )
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="UXXXX",
        help="act as this Slack user (default: the operator, with lead rights)",
    )
    parser.add_argument(
        "--crear",
        action="store_true",
        help="create the database if there is none (otherwise a one-off command refuses)",
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
    signing_in = sub.add_parser(
        "oauth2",
        help="sign in to the mailbox's IMAP and SMTP servers with OAuth2 and say what worked",
    )
    signing_in.add_argument("accion", choices=["probar", "test"])
    sub.add_parser(
        "estado",
        aliases=["status"],
        help="how the running service is doing: workers, deliveries, errors (on the server)",
    )
    moving = sub.add_parser(
        "migrar",
        aliases=["migrate"],
        help="copy this SQLite desk into an empty PostgreSQL database and check the counts "
        "(stop the service first)",
    )
    moving.add_argument(
        "url",
        nargs="?",
        help="postgresql://user@host/database (default: HIB2B_DATABASE_URL; a password is "
        "better in PGPASSWORD or ~/.pgpass than on the command line)",
    )
    backup = sub.add_parser(
        "respaldo",
        aliases=["backup"],
        help="a new folder with the database (consistent, also while the service runs), the "
        "attachments, the key and MANIFEST.sha256",
    )
    backup.add_argument("carpeta", help="where to write the backup (must not exist)")
    restoring = sub.add_parser(
        "restaurar",
        aliases=["restore"],
        help="fill an empty or missing HIB2B_DATA_DIR from a backup, after checking every sum",
    )
    restoring.add_argument("carpeta", help="a folder written by `hib2b respaldo`")
    exporting = sub.add_parser(
        "exportar",
        aliases=["export"],
        help="tickets received between two dates, as the tracker sheet: .csv or .xlsx",
    )
    exporting.add_argument("--desde", required=True, type=_date, help="YYYY-MM-DD (inclusive)")
    exporting.add_argument("--hasta", required=True, type=_date, help="YYYY-MM-DD (inclusive)")
    exporting.add_argument("--cliente", help="only this client's tickets (its key)")
    exporting.add_argument("archivo", help="archivo.csv or archivo.xlsx (must not exist)")
    reporting = sub.add_parser(
        "reporte",
        aliases=["report"],
        help="a period's report: printed, or with its chart into a .png or .pdf (--salida)",
    )
    reporting.add_argument(
        "periodo", nargs="?", choices=["semana", "mes"], help="the 7 or 30 days ending today"
    )
    reporting.add_argument("--desde", type=_date, help="YYYY-MM-DD (inclusive)")
    reporting.add_argument("--hasta", type=_date, help="YYYY-MM-DD (inclusive)")
    reporting.add_argument("--cliente", help="only this client's tickets (its key)")
    reporting.add_argument("--salida", help="archivo.png or archivo.pdf (must not exist)")
    private = sub.add_parser(
        "privacidad",
        aliases=["privacy"],
        help="a person's data (LFPDPPP): find it, export it as a ZIP, or suppress it",
    )
    private.add_argument(
        "accion", choices=["buscar", "find", "exportar", "export", "suprimir", "suppress"]
    )
    private.add_argument("correo", help="the person's email address (any case)")
    private.add_argument("--salida", help="exportar: the ZIP to write (default: datos-….zip)")
    private.add_argument(
        "--confirmar", action="store_true", help="suprimir: do it (without it: what would go)"
    )
    importing = sub.add_parser(
        "importar-clientes",
        aliases=["import-clients"],
        help="add clients from a CSV file: clave,nombre,hosts,estado,rfc",
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


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} no es una fecha AAAA-MM-DD") from None


def split(argv: list[str]) -> tuple[str | None, list[str]]:
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


async def status(host: str, port: int, signer: Signer, now: datetime) -> int:
    """Asks the running service, signing with the desk's own key: only someone who can read
    the server's configuration or data folder sees error texts."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/estado"
    token = signer.sign("estado", "cli", now)
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
    print(plain_health(body))
    return 0 if body["status"] == "ok" else 1


async def once(desk: Desk, args: argparse.Namespace, line: str | None) -> int:
    """One sub-command against the desk (started without its workers)."""
    if line is not None:
        return await _hib2b(desk, args.actor, line)
    return await _run(desk, args)


async def _hib2b(desk: Desk, user: str | None, line: str) -> int:
    """One /hib2b line, as `user` or as the operator (lead rights)."""
    actor = await desk.actor(user or OPERATOR_ID)
    reply = await desk.ask_line(Asked(actor, for_slack=False), line)
    print(reply.text)
    if reply.publish is not None:
        # The command line has no channel of its own: what would be posted is shown here.
        print(reply.publish.plain)
    # The service, if running, sends what this queued at its next look (within seconds).
    return 1 if reply.refused or reply.modal is not None else 0


async def _run(desk: Desk, args: argparse.Namespace) -> int:
    operator = desk.operator
    actor = await desk.actor(args.actor or OPERATOR_ID)
    if args.command in ("respaldo", "backup"):
        return await _backup(desk, Path(args.carpeta))
    if args.command in ("exportar", "export"):
        return await data.export(desk, args)
    if args.command in ("reporte", "report"):
        return await data.report(desk, args)
    if args.command in ("privacidad", "privacy"):
        try:
            return await data.privacy(desk, args, actor)
        except Refused as refusal:
            print(refusal.message, file=sys.stderr)
            return 1
    if args.command in ("importar-clientes", "import-clients", "api-clave", "api-key"):
        return await _clients(desk, args, actor)
    if args.command in ("numeracion", "numbering"):
        if args.siguiente is None:
            print(f"Siguiente ticket: HD-{await operator.next_number()}")
            return 0
        try:
            await operator.set_next_number(args.siguiente, actor)
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
            count = await operator.retry_failed(args.ids or None)
            print(f"{count} entrega(s) de nuevo en la cola; el servicio las enviará en segundos.")
            return 0
        return _print_deliveries(await operator.pending_deliveries())
    raise ValueError(f"unknown command {args.command!r}")


async def _backup(desk: Desk, target: Path) -> int:
    try:
        backed = await desk.operator.backup(target)
    except (BackupError, OSError, sqlite3.OperationalError) as error:
        print(f"No pude escribir el respaldo en {target}: {error}", file=sys.stderr)
        return 1
    print(f"Respaldo escrito en {target}: {backed.files} archivos con su suma en MANIFEST.sha256.")
    if not backed.key_included:
        print("La clave está en HIB2B_SECRET_KEY: guárdela junto con la configuración.")
    if backed.missing:
        print(
            "Faltaban en disco (la base los nombra): " + ", ".join(backed.missing),
            file=sys.stderr,
        )
        return 1
    return 0


def restore(settings: Settings, folder: Path) -> int:
    """`hib2b restaurar CARPETA`: before anything opens the database."""
    try:
        count = restore_backup(settings, folder)
    except (BackupError, OSError) as error:
        print(f"No restauré nada: {error}", file=sys.stderr)
        return 1
    print(f"Restaurados {count} archivos en {settings.data_dir}; el servicio puede arrancar.")
    return 0


async def _clients(desk: Desk, args: argparse.Namespace, actor: Actor) -> int:
    operator = desk.operator
    try:
        if args.command in ("importar-clientes", "import-clients"):
            try:
                text = await asyncio.to_thread(Path(args.archivo).read_text, encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as error:
                print(f"No pude leer {args.archivo}: {error}", file=sys.stderr)
                return 1
            result = await operator.import_clients(actor, text)
            print(f"{result.added} cliente(s) dado(s) de alta.")
            for problem in result.problems:
                print(problem, file=sys.stderr)
            return 1 if result.problems else 0
        if args.accion in ("emitir", "issue"):
            key = await operator.issue_api_key(actor, args.objeto or "")
            print(key)
            print("Guárdela ahora: no se vuelve a mostrar.", file=sys.stderr)
            return 0
        if args.accion in ("revocar", "revoke"):
            if not is_number(args.objeto or ""):
                print("Indique el id de la clave (hib2b api-clave lista).", file=sys.stderr)
                return 1
            print(await operator.revoke_api_key(actor, int(args.objeto)))
            return 0
    except Refused as refusal:
        print(refusal.message, file=sys.stderr)
        return 1
    for key in await operator.api_keys():
        state = f"revocada {key['revoked_at'][:10]}" if key["revoked_at"] else "activa"
        print(f"{key['id']:>4}  {key['client']:<16} {key['prefix']}…  {state}")
    return 0


def _print_deliveries(waiting: list) -> int:
    if not waiting:
        print("Nada pendiente: todas las entregas se completaron.")
        return 0
    for d in waiting:
        print(f"{d.id:>6}  {d.status:<8} {d.key:<28} intentos={d.attempts:<3} {d.last_error}")
    return 0


def read_arguments(words: list[str]) -> tuple[argparse.Namespace, str | None]:
    """The sub-command, or the `/hib2b` line the words make (`line`), with `--as` wherever
    it stands."""
    create = any(word in CREATE_FLAGS for word in words)
    words = [word for word in words if word not in CREATE_FLAGS]
    actor, rest = split(words)
    if rest and not rest[0].startswith("-") and rest[0] not in OPERATOR_COMMANDS:
        return argparse.Namespace(command="hib2b", actor=actor, create=create), " ".join(rest)
    args = parser().parse_args(words)
    args.create = create
    return args, None


def missing_database(settings: Settings, args: argparse.Namespace) -> str | None:
    """Why a one-off command must not run here: no database where the settings point (run
    from another folder, a typo in HIB2B_DATA_DIR) — it would create an empty one and answer
    from it. `--crear` says a new desk is meant."""
    if (
        args.command in NEEDS_NO_DATABASE
        or args.create
        or settings.database_url
        or settings.db_path.exists()
    ):
        return None
    return (
        f"hib2b: no hay base de datos en {settings.db_path}. Revise HIB2B_DATA_DIR (o el .env "
        "de la carpeta donde ejecuta la orden); para empezar una mesa nueva, añada --crear."
    )
