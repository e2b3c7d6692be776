"""`hib2b` (also `python -m bot`): with no arguments runs the service; with a sub-command, runs
it once against the same database and exits. The entry point: it loads the settings, builds the
desk and hands the words to the command-line edge (`handlers.cli`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import aiosmtplib
from dotenv import load_dotenv

from bot import datadir
from bot.config import ConfigError, Settings, load_settings
from bot.config_values import database_url
from bot.delivery.oauth2 import TokenRefused, TokenUnavailable
from bot.delivery.smtp import SmtpSender
from bot.wiring import Runtime, access_tokens, mail_sender
from handlers import cli
from handlers.mail.reader import CONNECTION_ERRORS, SIGN_IN_ERRORS, MailboxError, MailboxReader
from store import transfer
from store.db import StorageUnavailable
from store.postgres import redacted


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # the database, attachments, emails and keys are for this user only
    load_dotenv(".env", override=False)
    args, line = cli.read_arguments(list(sys.argv[1:] if argv is None else argv))
    try:
        settings = load_settings(os.environ)
    except ConfigError as error:
        print(f"hib2b: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    moved = datadir.moved_refusal(settings.data_dir) if not settings.database_url else None
    if moved is not None and args.command not in ("migrar", "migrate"):
        print(moved, file=sys.stderr)
        return 2
    if args.command in (None, "servir", "serve"):
        return serve(settings)
    refusal = cli.missing_database(settings, args)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    if args.command in ("restaurar", "restore"):
        return cli.restore(settings, Path(args.carpeta))
    if args.command == "oauth2":
        return asyncio.run(probe_mailbox(settings))
    if args.command in ("migrar", "migrate"):
        if not settings.db_path.exists():
            print(f"hib2b: no hay base SQLite en {settings.db_path} que copiar.", file=sys.stderr)
            return 2
        try:
            # The SQLite desk must stand still while it is copied: no service on it.
            folder_lock = datadir.lock(settings.data_dir)
        except datadir.AlreadyRunning as running:
            print(f"hib2b: {running}; deténgalo antes de migrar.", file=sys.stderr)
            return 1
        try:
            return asyncio.run(migrate(settings, args.url or settings.database_url or ""))
        finally:
            folder_lock.release()
    runtime = Runtime(settings)
    if args.command in ("estado", "status"):
        return asyncio.run(cli.status(settings.host, settings.port, runtime.signer, runtime.now()))
    return asyncio.run(_once(runtime, args, line))


async def migrate(settings: Settings, url: str) -> int:
    """`hib2b migrar URL`: this folder's SQLite desk into an empty PostgreSQL database."""
    try:
        url = database_url(url) or ""
    except ConfigError as error:
        print(f"hib2b: {error}", file=sys.stderr)
        return 2
    if not url:
        print(
            "hib2b: diga a qué base PostgreSQL copiar (o ponga HIB2B_DATABASE_URL).",
            file=sys.stderr,
        )
        return 2
    print(f"Copiando {settings.db_path} a {redacted(url)} …", flush=True)

    def progress(table: str, rows: int) -> None:
        if rows % 100_000 == 0:
            print(f"  {table}: {rows:,} filas…", flush=True)

    try:
        counted = await transfer.copy_desk(settings.db_path, url, progress)
    except transfer.NotEmpty:
        print(
            "hib2b: esa base PostgreSQL ya tiene tickets o entregas; use una vacía.",
            file=sys.stderr,
        )
        return 1
    except transfer.CountMismatch as error:
        print(f"hib2b: la copia no cuadra ({error}); no se guardó nada.", file=sys.stderr)
        return 1
    except StorageUnavailable as error:
        print(f"hib2b: no se pudo usar la base PostgreSQL: {error}", file=sys.stderr)
        return 1
    datadir.mark_moved(settings.data_dir, redacted(url))
    width = max(len(c.table) for c in counted)
    print(f"  {'tabla':<{width}}  {'filas':>10}")
    for c in counted:
        print(f"  {c.table:<{width}}  {c.source:>10,} en SQLite = {c.target:>10,} en PostgreSQL")
    total = sum(c.target for c in counted)
    print(
        f"Listo: {total:,} filas en {len(counted)} tablas, los conteos coinciden. Ponga "
        "HIB2B_DATABASE_URL en el .env de cada réplica; la carpeta de datos (adjuntos, clave) "
        "debe ser la misma para todas."
    )
    print(
        f"La base SQLite queda como estaba; {datadir.MOVED_NAME} en la carpeta lo anota, y nada "
        "arranca ya sobre ella sin HIB2B_DATABASE_URL."
    )
    return 0


def serve(settings: Settings) -> int:
    from bot.app import serve as run_service  # the server's imports only when serving

    return run_service(settings)


async def _once(runtime: Runtime, args: argparse.Namespace, line: str | None) -> int:
    await runtime.start(deliver=False)
    try:
        return await cli.once(runtime.desk, args, line)
    finally:
        await runtime.stop()


async def probe_mailbox(settings: Settings) -> int:
    """`hib2b oauth2 probar`: a token, then IMAP and SMTP signed in with it; one line says what
    worked (never a secret). Exit 0 when everything configured with OAuth2 signed in."""
    tokens = access_tokens(settings)
    if tokens is None:
        print(
            "hib2b: ni IMAP_AUTH ni SMTP_AUTH son oauth2; no hay nada que probar.", file=sys.stderr
        )
        return 2
    said, ok = [], True
    try:
        try:
            await tokens.get()
            said.append("token: obtenido")
        except (TokenRefused, TokenUnavailable) as error:
            print(f"token: {error}")
            return 1
        if settings.imap_host and settings.imap_auth == "oauth2":
            reader = MailboxReader(settings, _unused, _unused, tokens)
            try:
                await reader.probe()
                said.append(f"IMAP: sesión iniciada como {settings.imap_username}")
            except (*CONNECTION_ERRORS, *SIGN_IN_ERRORS, MailboxError) as error:
                said.append(f"IMAP: falló ({type(error).__name__}: {error})")
                ok = False
        if settings.smtp_host and settings.smtp_auth == "oauth2":
            sender = mail_sender(settings, tokens)
            assert isinstance(sender, SmtpSender)
            try:
                await sender.probe()
                said.append(f"SMTP: sesión iniciada como {settings.smtp_username}")
            except (aiosmtplib.SMTPException, OSError, TimeoutError, *SIGN_IN_ERRORS) as error:
                said.append(f"SMTP: falló ({type(error).__name__}: {error})")
                ok = False
    finally:
        await tokens.close()
    print(" · ".join(said))
    return 0 if ok else 1


async def _unused(*_: object) -> str:
    raise AssertionError("a probe reads no message")
