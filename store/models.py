"""Record types read from the database. Plain data, no behaviour."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.db import from_db


@dataclass(frozen=True)
class Ticket:
    number: int
    created_at: datetime
    source: str
    form_id: str | None
    tipo: str
    severity: str
    status: str
    usuario: str
    correo: str
    liga_portal: str
    descripcion: str
    client_ip: str
    email_thread: str | None
    slack_channel: str | None
    slack_ts: str | None
    assignee: str | None = None
    ever_assigned: int = 0
    first_contact_at: datetime | None = None
    waiting_since: datetime | None = None
    closed_at: datetime | None = None
    close_kind: str | None = None
    close_cause: str | None = None
    close_summary: str | None = None
    duplicate_of: int | None = None
    opened_by: str | None = None
    updated_at: datetime | None = None
    fc_target_at: datetime | None = None
    fc_warn_at: datetime | None = None
    fc_due_at: datetime | None = None
    fc_business_s: float | None = None
    res_started_at: datetime | None = None
    res_used_s: float = 0.0
    res_target_at: datetime | None = None
    res_warn_at: datetime | None = None
    res_due_at: datetime | None = None
    res_gen: int = 0
    sla_next_at: datetime | None = None
    client: str | None = None
    triage: int = 0
    sla_runs: int = 1
    mail_bounced: int = 0
    related_to: int | None = None
    suppressed_at: datetime | None = None  # its supplier's personal data was suppressed
    rating: int | None = None  # the supplier's, 1-5
    rating_comment: str | None = None
    rated_at: datetime | None = None  # the first rating (changes allowed for 14 days)
    duplicate_hint: int | None = None  # an open ticket this one may repeat (same invoice…)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Ticket:
        values = dict(row)
        for name in _TICKET_TIMES:
            if values.get(name):
                values[name] = from_db(values[name])
        return cls(**values)


_TICKET_TIMES = (
    "created_at",
    "suppressed_at",
    "rated_at",
    "first_contact_at",
    "waiting_since",
    "closed_at",
    "updated_at",
    "fc_target_at",
    "fc_warn_at",
    "fc_due_at",
    "res_started_at",
    "res_target_at",
    "res_warn_at",
    "res_due_at",
    "sla_next_at",
)


@dataclass(frozen=True)
class StoredFile:
    """A validated upload on disk: an attachment of a ticket, or of a form shown again."""

    id: int
    stored_name: str
    display_name: str
    content_type: str
    size: int
    sha256: str
    cfdi: str | None = None  # an invoice's reading, as `bot.domain.cfdi.Reading` JSON
    cfdi_uuid: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredFile:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Delivery:
    id: int
    key: str
    lane: str
    kind: str
    ticket: int | None
    after: int | None
    payload: dict[str, Any]
    state: dict[str, Any]
    status: str
    attempts: int
    next_at: datetime
    last_error: str
    result: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Delivery:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["payload"] = json.loads(values["payload"])
        values["state"] = json.loads(values["state"])
        values["next_at"] = from_db(values["next_at"])
        values["created_at"] = from_db(values["created_at"])
        return cls(**values)


@dataclass(frozen=True)
class Client:
    key: str
    name: str
    status: str
    status_at: datetime
    status_by: str
    plan: dict[str, str] | None
    created_at: datetime
    hosts: tuple[str, ...] = ()
    rfcs: tuple[str, ...] = ()  # whose invoices it receives: the receiver RFC is checked

    @classmethod
    def from_row(cls, row: sqlite3.Row, hosts: tuple[str, ...] = ()) -> Client:
        values = dict(row)
        values["rfcs"] = tuple(values.get("rfcs", "").split())
        values["status_at"] = from_db(values["status_at"])
        values["created_at"] = from_db(values["created_at"])
        values["plan"] = json.loads(values["plan"]) if values["plan"] else None
        return cls(**values, hosts=hosts)


@dataclass(frozen=True)
class NewDelivery:
    key: str
    lane: str
    kind: str
    ticket: int | None
    payload: dict[str, Any]
    after: str | None = None  # key of a delivery that must be done first
