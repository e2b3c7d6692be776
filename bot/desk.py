"""The desk as the edges see it: one small facade of use cases for Slack's listeners, the web
pages, the portal's API, the support mailbox and the command line. Edges parse their input into
these calls and render what comes back; they never reach the store or the runtime directly.

Built by the composition root (`bot.wiring`), which hands in the few runtime abilities a use
case needs from outside: a health snapshot, downloading a file from Slack, recording that the
attachments' disk failed, and the service's metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from bot.cases import home, mail_in, ratings, team, ticket_page
from bot.cases.intake import Intake, Replayed, UploadsFull, judge_downloaded
from bot.cases.operator import BackupError, NumberingStarted, Operator
from bot.cases.operator import restore as restore_backup
from bot.cases.parts import Parts
from bot.commands.dispatch import Commands
from bot.commands.reply import STORAGE_BUSY, Asked, Reply
from bot.config import Settings
from bot.delivery import health
from bot.delivery.failures import DeliveryFailure
from bot.delivery.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.delivery.metrics import Metrics, Scraped
from bot.domain.attachments import Accepted, IncomingFile
from bot.domain.change import FILES, Actor, Refused
from bot.domain.requests import Request
from bot.domain.tokens import Signer
from bot.render import home as home_render
from bot.render.card import slack_date
from bot.render.ticket_page import Page as TicketPage
from store.db import STORAGE_ERRNOS, StorageUnavailable

__all__ = [
    "METRICS_CONTENT_TYPE",
    "STORAGE_BUSY",
    "STORAGE_ERRNOS",
    "Asked",
    "BackupError",
    "Desk",
    "NumberingStarted",
    "Replayed",
    "Reply",
    "StorageUnavailable",
    "UploadsFull",
    "restore_backup",
]

Snapshotter = Callable[[bool], Awaitable[health.Snapshot]]
Downloader = Callable[[str, int], Awaitable[bytes]]


@dataclass(frozen=True)
class Observer:
    """The service's metrics, and how to read what they show when scraped."""

    metrics: Metrics
    scrape: Callable[[], Awaitable[Scraped]]


class Desk:
    def __init__(
        self,
        parts: Parts,
        signer: Signer,
        snapshot: Snapshotter,
        download: Downloader,
        disk_failed: Callable[[OSError], None],
        observer: Observer,
    ) -> None:
        self.parts = parts
        self._observer = observer
        self.signer = signer
        self.intake = Intake(parts)
        self.operator = Operator(parts, signer)
        self._commands = Commands(parts)
        self._snapshot = snapshot
        self._download = download
        self._disk_failed = disk_failed

    @property
    def settings(self) -> Settings:
        return self.parts.settings

    def now(self) -> datetime:
        return self.parts.now()

    # --- technicians and leads --------------------------------------------------------------
    async def actor(self, user_id: str, name: str = "") -> Actor:
        """Who is asking, with the role the team gives them (none: not on the team)."""
        return await team.actor_for(self.parts.db, self.parts.settings, user_id, name)

    async def home_view(self, user_id: str) -> dict[str, Any]:
        """The App Home view of this person (`views.publish`)."""
        actor = await self.actor(user_id)
        found = await home.gather(self.parts, actor)
        return home_render.view(found, partial(slack_date, zone=self.parts.settings.timezone))

    async def ask(self, asked: Asked, request: Request) -> Reply:
        return await self._commands.run(asked, request)

    async def ask_line(self, asked: Asked, text: str) -> Reply:
        """A `/hib2b` line, parsed into its request."""
        return await self._commands.run_line(asked, text)

    async def reply_files(self, files: list[dict[str, Any]]) -> tuple[Accepted, ...]:
        """The files of Slack's reply modal, downloaded with the bot token and judged by the
        supplier's policy. Raises `Refused` (on the files input) for the first that cannot go."""
        limit = self.parts.settings.upload_limits.max_file
        downloaded = []
        for file in files:
            name = file.get("name") or "archivo"
            url = file.get("url_private_download") or file.get("url_private") or ""
            try:
                downloaded.append((name, await self._download(url, limit)))
            except DeliveryFailure as failure:
                reason = (
                    "supera el tamaño permitido"
                    if "too large" in failure.reason
                    else "no se pudo descargar; intente de nuevo"
                )
                raise Refused(f"«{name}»: {reason}.", FILES) from failure
        return await judge_downloaded(self.parts, downloaded)

    # --- suppliers ---------------------------------------------------------------------------
    TICKET_COMMENT_MAX = ticket_page.MAX_COMMENT

    async def ticket_page(self, token: str) -> TicketPage:
        """The supplier's page of the ticket a signed link names. Raises `Refused`."""
        number = ticket_page.ticket_of(self.signer, token, self.now())
        return await ticket_page.page(self.parts, number)

    async def comment_on_ticket(
        self, token: str, text: str, files: list[IncomingFile], nonce: str
    ) -> list[str]:
        """The supplier's comment from their page; the files' problems (then nothing was
        added). Raises `Refused`."""
        number = ticket_page.ticket_of(self.signer, token, self.now())
        if not nonce.strip():
            raise Refused("Vuelva a abrir la página de su ticket e intente de nuevo.")
        key = f"pagina:{number}:{nonce[:64]}"
        return await ticket_page.comment(self.parts, number, text, files, key)

    def rating_ticket(self, token: str) -> int:
        """The ticket a closing email's rating link names. Raises `Refused`."""
        return ratings.ticket_of(self.signer, token, self.now())

    async def rate(self, token: str, value: int, comment: str) -> tuple[int, bool]:
        """Record a supplier's rating; (the ticket, whether it may still change). Raises
        `Refused` (a bad link, a value out of range, too late to change)."""
        number = self.rating_ticket(token)
        _, changeable = await ratings.rate(self.parts, number, value, comment)
        return number, changeable

    # --- the support mailbox ------------------------------------------------------------------
    async def receive_mail(self, raw: bytes, uid: str = "") -> str:
        """One message of the support mailbox; returns what it did (its recorded outcome)."""
        return await mail_in.receive(self.parts, raw, uid)

    async def mail_failed(self, raw: bytes, uid: str, error: Exception) -> None:
        await mail_in.record_failure(self.parts, raw, uid, error)

    # --- operators ------------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        """For anyone (`/healthz`): states, counts and ages, no error texts."""
        return health.public(await self._snapshot(False))

    async def ready(self) -> bool:
        return health.ready(await self._snapshot(False))

    async def health_details(self) -> dict[str, Any]:
        """For `hib2b estado` on the server: with the errors."""
        return health.details(await self._snapshot(True))

    async def metrics(self) -> bytes:
        """`/metrics` in Prometheus' text format (`METRICS_CONTENT_TYPE`)."""
        return self._observer.metrics.text(await self._observer.scrape())

    def observe_request(self, route: str, method: str, seconds: float) -> None:
        """An HTTP request was answered; `route` is its pattern, never the path asked."""
        self._observer.metrics.requests.labels(route, method).observe(seconds)

    def after_ack_failed(self, work: str) -> None:
        """Work that followed a Slack ack failed (its traceback is in the log)."""
        self._observer.metrics.after_ack_failures.labels(work).inc()

    def disk_failed(self, error: OSError) -> None:
        """An attachment could not be written: `/healthz` says so until a write succeeds."""
        self._disk_failed(error)
