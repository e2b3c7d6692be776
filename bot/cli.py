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

from bot.config import ConfigError, Settings, load_settings
from bot.delivery.oauth2 import TokenRefused, TokenUnavailable
from bot.delivery.smtp import SmtpSender
from bot.wiring import Runtime, access_tokens, mail_sender
from handlers import cli
from handlers.mail.reader import CONNECTION_ERRORS, SIGN_IN_ERRORS, MailboxError, MailboxReader


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
    runtime = Runtime(settings)
    if args.command in ("estado", "status"):
        return asyncio.run(cli.status(settings.host, settings.port, runtime.signer, runtime.now()))
    return asyncio.run(_once(runtime, args, line))


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
