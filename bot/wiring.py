"""The running desk's parts, built from `Settings`: database, delivery queue, Slack client,
mail sender, signer. Started and stopped by the web application's `cleanup_ctx`."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.cases import period, privacy, ratings, shifts, ticket_page
from bot.cases.parts import Parts
from bot.cases.plans import Policies
from bot.config import Settings
from bot.delivery import health, janitor, scheduler
from bot.delivery import watcher as watch
from bot.delivery.leadership import leader_only
from bot.delivery.metrics import Metrics, Scraped
from bot.delivery.oauth2 import AccessTokens
from bot.delivery.queue import LANES, Outbox
from bot.delivery.senders import Deliveries
from bot.delivery.slack import Channel, LogChannel, SlackChannel
from bot.delivery.smtp import FileSender, MailSender, SmtpSender
from bot.delivery.storage import FilesHealth, heartbeat
from bot.delivery.supervisor import Body, Supervisor
from bot.desk import Desk, Observer
from bot.domain.deliveries import EMAIL_LANE, REPORTS_LANE, SLACK
from bot.domain.tokens import Signer
from handlers.mail.reader import MailboxReader, MailboxStatus
from handlers.server import create_web_app
from store import outbox as queue
from store import tickets as ticket_store
from store.db import Database, StorageUnavailable
from store.engine import open_store
from store.postgres import PgDatabase
from store.replicas import Presence

log = logging.getLogger("hib2b")
HAND_BACK_S = 2.0  # of the stop's bounded time
HEARTBEAT_S = 5.0
TICKET_LANES = (SLACK, EMAIL_LANE)
# At a stop, a lane may finish the delivery in hand for FINISH_S; then every worker is cancelled
# and waited for STOP_WAIT_S. Both fit in the 5 s the contract allows beyond the HTTP grace.
FINISH_S = 1.5
STOP_WAIT_S = 1.5


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_secret(settings: Settings) -> bytes:
    """HIB2B_SECRET_KEY, or one generated once and kept in the data folder (0600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked in: replicas starting together on a
        # shared folder all read the one key that won, never a half-written one.
        draft = path.with_name(f".secret.key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another replica's key is the desk's
        finally:
            draft.unlink()
    return path.read_text().strip().encode()


def slack_client(settings: Settings, retries: bool = True) -> AsyncWebClient:
    client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    if not retries:
        # The delivery queue retries, after looking for what an earlier try may have posted;
        # the SDK's blind retry of a dropped connection could post a card twice.
        client.retry_handlers = []
    return client


def access_tokens(settings: Settings) -> AccessTokens | None:
    """The mailbox's OAuth2 tokens, shared by the reader and the sender (one refresh for both)."""
    if settings.oauth2 is None:
        return None
    return AccessTokens(settings.oauth2, kept_in=settings.data_dir / "oauth2-refresh-token.json")


def mail_sender(settings: Settings, tokens: AccessTokens | None = None) -> MailSender:
    if not settings.smtp_host:
        return FileSender(settings.mail_dir)
    return SmtpSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.mail_from,
        timeout=settings.smtp_timeout.total_seconds(),
        tokens=tokens if settings.smtp_auth == "oauth2" else None,
    )


class Runtime:
    """The running desk: database, delivery queue, Slack channel, workers. `db` exists once
    `start` ran. `desk` is the facade handed to every edge."""

    def __init__(self, settings: Settings, now: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.now = now
        self.parts = Parts(settings, now)
        self.signer = Signer(load_secret(settings))
        # The closing email's rating links are signed with the desk's key.
        self.parts.mail_ctx = replace(
            self.parts.mail_ctx,
            rating_links=lambda number: ratings.links(
                self.signer, settings.public_url, number, self.now()
            ),
            ticket_link=lambda number: ticket_page.link(
                self.signer, settings.public_url, number, self.now()
            ),
        )
        self.channel: Channel = (
            SlackChannel(slack_client(settings, retries=False), settings.channel or "")
            if settings.mode != "local"
            else LogChannel()
        )
        self._db: Database | None = None
        self.presence: Presence | None = None  # among replicas on PostgreSQL
        self._outbox: Outbox | None = None
        self.tokens = access_tokens(settings)
        self.mail = mail_sender(settings, self.tokens)
        self.metrics = Metrics()
        self.supervisor = Supervisor(restart_base_s=settings.restart_base.total_seconds())
        self.files = FilesHealth(settings.data_dir / "uploads")
        self.mailbox: MailboxStatus | None = None  # set when the support mailbox is read
        self.desk = Desk(
            self.parts,
            self.signer,
            self.snapshot,
            self.channel.download,
            self.files.failed,
            Observer(self.metrics, self.scrape),
        )

    @property
    def policies(self) -> Policies:
        return self.parts.policies

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the runtime has not started")
        return self._db

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            raise RuntimeError("the runtime has not started")
        return self._outbox

    def wake_outbox(self, lanes: tuple[str, ...] = TICKET_LANES) -> None:
        """New deliveries were queued: send them now rather than at the next poll. A ticket's
        change wakes only its lanes: each lane woken claims through the write lock, and the
        reports lane has nothing to do with a form (it polls, and is woken by its own asks)."""
        if self._outbox is not None:
            self._outbox.wake(lanes)

    async def open_db(self) -> Database:
        self._db = await open_store(
            self.settings.database_url,
            Path(self.settings.db_path),
            self.settings.db_busy_timeout.total_seconds(),
        )
        self.parts.attach(self._db, self.wake_outbox)
        if isinstance(self._db, PgDatabase):
            identity = f"{socket.gethostname()}\0{self.settings.data_dir.resolve()}"
            self.presence = Presence(self._db, self.wake_outbox, identity)
        return self._db

    def leader_only(self, body: Body) -> Body:
        """Work done for the whole desk by one service among the replicas sharing it."""
        return leader_only(self.presence, body, self.settings.watch_interval.total_seconds())

    async def start(self, deliver: bool = True) -> None:
        db = await self.open_db()
        deliveries = Deliveries(
            db,
            self.channel,
            self.settings.channel or "local",
            self.mail,
            self.settings.timezone,
            self.settings.data_dir,
            self.parts.mail_ctx,
            self.settings.leads,
            partial(period.prepare, self.parts),
        )
        self._outbox = Outbox(
            db,
            deliveries.handlers(),
            self.now,
            retry_base=self.settings.retry_base,
            retry_max=self.settings.retry_max,
            metrics=self.metrics,
        )
        if self.presence is not None:
            # Present before the first claim: a claim by a process not present is released
            # by the others as a dead one's.
            await self.presence.connect()
            interval = self.settings.watch_interval.total_seconds()
            presence = self.presence
            self.supervisor.start("replica", lambda worker: presence.run(interval, worker.ok))
        if deliver:
            self._start_workers(db, self._outbox)

    def _start_workers(self, db: Database, outbox: Outbox) -> None:
        interval = self.settings.watch_interval.total_seconds()
        start = self.supervisor.start
        for lane in LANES:
            start(
                f"outbox-{lane}",
                lambda worker, lane=lane: outbox.run_lane(lane, worker),
                graceful=True,
            )
        start(
            "sla-watcher",
            self.leader_only(
                lambda worker: watch.run(
                    db,
                    self.now,
                    interval,
                    self.wake_outbox,
                    worker,
                    self.metrics,
                    self.settings.leads,
                    partial(shifts.escalate, self.parts)
                    if self.settings.escalate_reassign
                    else None,
                )
            ),
            stale_after_s=3 * interval,
        )
        start(
            "janitor",
            lambda worker: janitor.run(
                db, self.settings.data_dir, self.settings.keep_sent, self.now, worker
            ),
        )
        schedule = self.settings.report_schedule
        if schedule is not None:
            start(
                "report-scheduler",
                self.leader_only(
                    lambda worker: scheduler.run(
                        db,
                        schedule,
                        self.settings.timezone,
                        self.now,
                        partial(self.wake_outbox, (REPORTS_LANE,)),
                        worker,
                    )
                ),
                stale_after_s=3 * scheduler.LOOK_EVERY_S,
            )
        retention = self.settings.retention
        if retention is not None:
            start(
                "retention",
                self.leader_only(
                    lambda worker: privacy.run_retention(self.parts, retention, worker.ok)
                ),
                stale_after_s=3 * privacy.TICK_S,
            )
        every = min(HEARTBEAT_S, interval)
        start("storage", lambda worker: heartbeat(db, self.files, self.now, every, worker))

    async def snapshot(self, details: bool = False) -> health.Snapshot:
        """What `/healthz`, `/readyz` and `hib2b estado` report."""
        db = self.db
        try:
            counts = await queue.counts(db)
            oldest = await queue.oldest_waiting(db)
        except StorageUnavailable as error:
            # PostgreSQL down: what is waiting cannot be read, and health says why (an SQLite
            # file is always readable).
            db.note_write_failure(str(error))
            counts, oldest, details = {"pending": 0, "sending": 0, "failed": 0}, None, False
        failed: tuple[dict[str, Any], ...] = ()
        if details:
            failed = tuple(
                {"id": d.id, "key": d.key, "error": d.last_error, "attempts": d.attempts}
                for d in (await queue.deliveries(db, "failed"))[:50]
            )
        return health.Snapshot(
            mode=self.settings.mode,
            workers=tuple(self.supervisor.views()),
            deliveries=counts,
            oldest_waiting_s=round((self.now() - oldest).total_seconds(), 1) if oldest else 0.0,
            storage_error=db.write_failure or self.files.failure,
            mailbox_connected=self.mailbox.connected if self.mailbox is not None else None,
            mailbox_error=self.mailbox.last_error if self.mailbox is not None else "",
            mailbox_failures=self.mailbox.failures if self.mailbox is not None else 0,
            mail_error=self.mail.sign_in_error,
            failed_deliveries=failed,
            leader=self.presence.leading.is_set() if self.presence is not None else None,
        )

    async def scrape(self) -> Scraped:
        """What `/metrics` reads when asked."""
        return Scraped(
            tickets=await ticket_store.count_by_status(self.db),
            deliveries=await queue.waiting_by_lane(self.db),
            restarts={view.name: view.restarts for view in self.supervisor.views()},
        )

    async def stop(self) -> None:
        """Always ends: workers are cancelled and waited for a bounded time, then the channel's
        and the mail server's connections and the database are closed. What was not delivered
        stays queued."""
        if self._outbox is not None:
            self._outbox.stop()
        await self.supervisor.stop(STOP_WAIT_S, finish_s=FINISH_S)
        if self.presence is not None and self._db is not None:
            await self._hand_back(self._db)
        await self.parts.invoices.close()
        await self.channel.close()
        await self.mail.close()
        if self.tokens is not None:
            await self.tokens.close()
        if self._db is not None:
            await self._db.close()

    async def _hand_back(self, db: Database) -> None:
        """Among replicas: what this one was sending when its lanes stopped goes back to the
        queue now, for the others (or this one restarted) to send without waiting for the
        grace a vanished replica's claims wait."""
        try:
            async with asyncio.timeout(HAND_BACK_S):
                count = await queue.release_mine(db)
        except (TimeoutError, StorageUnavailable) as error:
            log.warning("in-flight deliveries not handed back (%s); the others take them", error)
            return
        if count:
            log.info("%d deliveries in flight handed back to the queue", count)


RUNTIME = web.AppKey("runtime", Runtime)


def create_app(settings: Settings, now: Callable[[], datetime] = utc_now) -> web.Application:
    """The web application with the runtime started and stopped around it."""
    runtime = Runtime(settings, now)
    app = create_web_app(runtime.desk)
    app[RUNTIME] = runtime
    # First in, last out: the runtime is up before Slack's socket connects and the mailbox is
    # read, and stops after them.
    contexts = [_runtime_ctx, *([_mailbox_ctx] if settings.imap_host else [])]
    app.cleanup_ctx[0:0] = contexts
    return app


async def _runtime_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    await runtime.start()
    log.info("desk started in %s mode; database %s", runtime.settings.mode, runtime.db.path)
    yield
    await runtime.stop()


async def _mailbox_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    desk = runtime.desk
    tokens = runtime.tokens if runtime.settings.imap_auth == "oauth2" else None
    reader = MailboxReader(runtime.settings, desk.receive_mail, desk.mail_failed, tokens)
    runtime.mailbox = reader.status
    # Stopped with the other workers (the runtime's context ends after this one).
    runtime.supervisor.start(
        "mailbox",
        runtime.leader_only(reader.run),
        stale_after_s=3 * runtime.settings.imap_poll.total_seconds() + 60,
    )
    yield
