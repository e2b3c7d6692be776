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

from dotenv import load_dotenv

from bot.config import ConfigError, Settings, load_settings
from bot.wiring import Runtime
from handlers import cli


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
