"""What every use case runs with: the settings, the clock, the database, the email context,
the support plans, the invoice reader, and a way to tell the delivery queue that there is
something to send.

Built by the composition root (`bot.wiring`); the database is attached when the runtime starts,
after the listeners that hold these parts were registered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.cases.plans import Policies
from bot.cases.reports import Reports
from bot.cfdi.pool import InvoiceReader
from bot.config import Settings
from bot.render.email import MailContext
from store.db import Database


def mail_context(settings: Settings) -> MailContext:
    return MailContext(
        mail_from=settings.mail_from,
        reply_to=settings.mail_reply_to,
        support_address=settings.support_address,
        timezone=settings.timezone,
        privacy_url=settings.privacy_link,
        invoice_max_age=settings.cfdi_max_age,
    )


class Parts:
    def __init__(self, settings: Settings, now: Callable[[], datetime]) -> None:
        self.settings = settings
        self.now = now
        self.mail_ctx = mail_context(settings)
        self.policies = Policies(settings)
        self.reports = Reports()
        # Child processes start with the first XML; `Runtime.stop` ends them.
        self.invoices = InvoiceReader(timeout_s=settings.cfdi_timeout.total_seconds())
        self._db: Database | None = None
        self._wake: Callable[[], None] = lambda: None

    def attach(self, db: Database, wake: Callable[[], None] | None = None) -> None:
        self._db = db
        if wake is not None:
            self._wake = wake

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the desk has not started: no database yet")
        return self._db

    def wake_outbox(self, settled: bool = True) -> None:
        """A ticket changed and new deliveries were queued: send them now rather than at the
        next poll, and forget the SLA report that no longer holds (`settled`: the compliance
        figures too; a new ticket or a change `reports.settles` says leaves them, no)."""
        self.reports.forget(settled)
        self._wake()
