"""Running the service: the composition root's outer shell around the web application.

In order: private files (umask 077), the data folder's single-instance lock, the listening
socket (a taken port is one line, not a traceback), the application with its workers; then, on
SIGTERM or SIGINT, a stop that always ends: requests in flight get `HIB2B_SHUTDOWN_GRACE`, the
workers are cancelled and waited for a bounded time, and a last-resort timer ends the process
should anything still hang. Whatever was not delivered stays queued for the next start."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import threading

from aiohttp import web

from bot import datadir
from bot.config import Settings
from bot.wiring import create_app
from handlers.access_log import PathOnlyAccessLogger
from store.db import StorageUnavailable

log = logging.getLogger("hib2b")
BACKSTOP_MARGIN_S = 4.5  # the contract is grace + 5 s; this leaves half a second to spare


def serve(settings: Settings) -> int:
    os.umask(0o077)
    try:
        # One process per SQLite file; replicas share a PostgreSQL database (and this folder).
        lock = datadir.lock(settings.data_dir) if not settings.database_url else datadir.no_lock()
    except datadir.AlreadyRunning as running:
        return _fail(str(running))
    except OSError as error:
        return _fail(f"cannot use the data folder {settings.data_dir}: {error.strerror or error}")
    try:
        try:
            changed = datadir.make_private(settings.data_dir, settings.db_path)
        except OSError as error:
            return _fail(f"cannot make {settings.data_dir} private: {error.strerror or error}")
        if changed:
            log.warning("made %d files and folders of %s private", changed, settings.data_dir)
        try:
            listener = listen(settings.host, settings.port)
        except OSError as error:
            return _fail(_listen_error(settings.host, settings.port, error))
        try:
            return asyncio.run(_run(settings, listener))
        except StorageUnavailable as error:
            return _fail(f"the database cannot be written: {error}")
    finally:
        lock.release()


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _listen_error(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is already in use (HIB2B_PORT)"
    if error.errno == errno.EACCES:
        return f"not allowed to listen on port {port} (HIB2B_PORT)"
    return f"cannot listen on {host}:{port} (HIB2B_HOST, HIB2B_PORT): {error.strerror or error}"


def _fail(message: str) -> int:
    print(f"hib2b: {message}", file=sys.stderr)
    return 1


async def _run(settings: Settings, listener: socket.socket) -> int:
    grace = settings.shutdown_grace.total_seconds()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    runner = web.AppRunner(
        create_app(settings), shutdown_timeout=grace, access_log_class=PathOnlyAccessLogger
    )
    # Starting (the database, the workers, Socket Mode's connection) may itself hang on a dead
    # Slack: a stop asked for meanwhile must still end the process in time.
    setup = asyncio.ensure_future(runner.setup())
    stop_asked = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({setup, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
    if setup.done():
        setup.result()  # a failed start raises here (StorageUnavailable: one line)
        site = web.SockSite(runner, listener, shutdown_timeout=grace)
        await site.start()
        log.info(
            "listening on http://%s:%s (form: %s/soporte)",
            settings.host,
            settings.port,
            settings.public_url,
        )
        await stop_asked
    log.info("stopping: requests in flight get %.0fs", grace)
    backstop = threading.Timer(grace + BACKSTOP_MARGIN_S, _give_up)
    backstop.daemon = True
    backstop.start()
    try:
        if not setup.done():
            setup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await setup
        await runner.cleanup()
    finally:
        backstop.cancel()
    log.info("stopped")
    return 0


def _give_up() -> None:
    # Runs on its own thread, so even a blocked event loop cannot keep the process alive. The
    # database is safe (SQLite's journal); undelivered rows stay queued for the next start.
    print("hib2b: the stop took too long; exiting now", file=sys.stderr, flush=True)
    os._exit(0)
