"""How the running desk is doing, as pure rules over what the supervisor, the database and the
delivery queue report. `public` is what `/healthz` shows anyone: states, counts and ages, never
error texts (they can name addresses); `details` adds them for `hib2b estado` on the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.delivery.supervisor import RECENT_FAILURE_S, RUNNING, WorkerView

OK, DEGRADED, FAILING = "ok", "degraded", "failing"


@dataclass(frozen=True)
class Snapshot:
    mode: str
    workers: tuple[WorkerView, ...]
    deliveries: dict[str, int]  # by status
    oldest_waiting_s: float
    storage_error: str | None  # why the database cannot be written, when it cannot
    mailbox_connected: bool | None = None  # None: the mailbox is not read
    mailbox_error: str = ""
    mailbox_failures: int = 0  # connection attempts in a row that did not get in
    mail_error: str = ""  # the SMTP server refused our sign-in (until one succeeds)
    failed_deliveries: tuple[dict[str, Any], ...] = ()  # details: key, error, attempts
    leader: bool | None = None  # among replicas on PostgreSQL: does this one lead; else None


MAILBOX_FAILURES = 2


def status(snapshot: Snapshot) -> str:
    if snapshot.storage_error is not None:
        return FAILING
    if snapshot.deliveries.get("failed", 0) or any(_troubled(w) for w in snapshot.workers):
        return DEGRADED
    if snapshot.mailbox_failures >= MAILBOX_FAILURES or snapshot.mail_error:
        # Signing in keeps failing (a revoked consent, a dead server); a routine hang-up that
        # reconnects at the first try is not an alarm.
        return DEGRADED
    return OK


def _troubled(worker: WorkerView) -> bool:
    recently_failed = (
        worker.last_failure_age_s is not None and worker.last_failure_age_s < RECENT_FAILURE_S
    )
    return worker.state != RUNNING or recently_failed or worker.stale


def ready(snapshot: Snapshot) -> bool:
    """Can this instance take traffic: the database writable and every worker running."""
    return snapshot.storage_error is None and all(w.state == RUNNING for w in snapshot.workers)


def public(snapshot: Snapshot) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status(snapshot),
        "mode": snapshot.mode,
        "workers": {
            w.name: {"state": w.state, "restarts": w.restarts, "last_ok_age_s": w.last_ok_age_s}
            for w in snapshot.workers
        },
        "deliveries": {**snapshot.deliveries, "oldest_age_s": snapshot.oldest_waiting_s},
        "database": "writable" if snapshot.storage_error is None else "not writable",
    }
    if snapshot.mailbox_connected is not None:
        body["mailbox"] = {"connected": snapshot.mailbox_connected}
    if snapshot.leader is not None:
        body["replica"] = {"leader": snapshot.leader}
    return body


def details(snapshot: Snapshot) -> dict[str, Any]:
    body = public(snapshot)
    for w in snapshot.workers:
        body["workers"][w.name].update(
            last_error=w.last_error, last_failure_age_s=w.last_failure_age_s, stale=w.stale
        )
    body["database_error"] = snapshot.storage_error or ""
    body["failed_deliveries"] = list(snapshot.failed_deliveries)
    if snapshot.mailbox_connected is not None:
        body["mailbox"]["last_error"] = snapshot.mailbox_error
    body["mail_sign_in_error"] = snapshot.mail_error
    return body
