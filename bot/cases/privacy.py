"""A person's rights over their data (LFPDPPP: access, cancellation) and the retention period:
find everything the desk keeps about an address, hand it over as a ZIP, suppress it. Each
request is recorded without the address (`privacy_requests`, an HMAC of it).

Suppression refuses while the person has an open ticket (the desk still needs their data to
serve them); it keeps the tickets as anonymous statistics (`store.privacy`), deletes their
files, re-renders their Slack cards without the data, and empties the write-ahead log so no
old page of the database still holds it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.cases.parts import Parts
from bot.domain import deliveries
from bot.domain.change import Refused
from bot.domain.form import is_email
from bot.domain.terms import ticket_code
from store import outbox as queue
from store import privacy as store
from store import search

log = logging.getLogger("hib2b.privacy")

REQUEST_REASON = "solicitud del titular"
RETENTION_REASON = "plazo de conservación"
_OPEN_STATUSES = {"nuevo", "asignado", "esperando"}
RETENTION_EVERY_S = 24 * 3600.0
TICK_S = 3600.0  # the retention worker says it is alive this often


@dataclass
class Found:
    """Everything kept about one address."""

    correo: str
    tickets: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    elsewhere: list[dict[str, Any]] = field(default_factory=list)  # other tickets naming it
    queued_elsewhere: list[dict[str, Any]] = field(default_factory=list)  # their deliveries

    @property
    def numbers(self) -> list[int]:
        return [ticket["number"] for ticket in self.tickets]

    @property
    def open(self) -> list[int]:
        return [t["number"] for t in self.tickets if t["status"] in _OPEN_STATUSES]


@dataclass(frozen=True)
class Suppressed:
    tickets: int
    files_deleted: int
    mentions: int
    wal_emptied: bool


def _address(correo: str) -> str:
    correo = correo.strip()
    if not is_email(correo):
        raise Refused(f"«{correo}» no es una dirección de correo.")
    return correo


def _whole(correo: str) -> re.Pattern[str]:
    """The address as a whole word: `ana@x.mx` is not in `juliana@x.mx` nor `ana@x.mx.com`."""
    return re.compile(r"(?<![\w.+-])" + re.escape(correo) + r"(?![\w-]|\.\w)", re.IGNORECASE)


async def find(parts: Parts, correo: str, actor: str, subject: str) -> Found:
    """Every ticket, timeline entry, email and file of `correo` (any case)."""
    correo = _address(correo)
    db = parts.db
    found = Found(correo, [dict(row) for row in await store.tickets_of(db, correo)])
    numbers = found.numbers
    found.timeline = [dict(row) for row in await store.timeline(db, numbers)]
    found.emails = [dict(row) for row in await store.emails_to(db, numbers)]
    found.attachments = [dict(row) for row in await store.attachments_of(db, numbers)]
    audit, outbox = await store.written_elsewhere(db, correo, numbers)
    whole = _whole(correo)
    found.elsewhere = [dict(row) for row in audit if whole.search(row["detail"])]
    found.queued_elsewhere = [
        dict(row) for row in outbox if whole.search(row["payload"] + row["state"])
    ]
    async with db.transaction() as conn:
        await store.record_request(conn, parts.now(), actor, "buscar", subject, len(numbers))
    return found


async def export(parts: Parts, correo: str, target: Path, actor: str, subject: str) -> Found:
    """The ZIP a person is entitled to: `resumen.json` (their tickets, timelines, the emails
    sent to them, mentions elsewhere), the emails as .eml where kept, and their files."""
    if target.suffix.lower() != ".zip":
        raise Refused(f"{target.name}: el archivo debe terminar en .zip")
    if await asyncio.to_thread(target.exists):
        raise Refused(f"{target} ya existe")
    found = await find(parts, correo, actor, subject)
    await asyncio.to_thread(_write_zip, target, found, parts.settings.data_dir, parts.now())
    async with parts.db.transaction() as conn:
        await store.record_request(
            conn, parts.now(), actor, "exportar", subject, len(found.numbers)
        )
    return found


def _summary(found: Found, now: datetime) -> dict[str, Any]:
    by_ticket: dict[int, list[dict[str, Any]]] = {}
    for entry in found.timeline:
        by_ticket.setdefault(entry["ticket"], []).append(
            {
                "fecha": entry["at"],
                "accion": entry["action"],
                "quien": entry["actor"],
                "detalle": json.loads(entry["detail"] or "{}"),
            }
        )
    files_of: dict[int, list[str]] = {}
    for attachment in found.attachments:
        files_of.setdefault(attachment["ticket"], []).append(_member(attachment))
    shown = [
        "created_at",
        "source",
        "tipo",
        "severity",
        "status",
        "usuario",
        "correo",
        "liga_portal",
        "descripcion",
        "client_ip",
        "client",
        "assignee",
        "first_contact_at",
        "closed_at",
        "close_kind",
        "close_cause",
        "close_summary",
    ]
    return {
        "correo": found.correo,
        "generado": now.isoformat(timespec="seconds"),
        "tickets": [
            {
                "ticket": ticket_code(ticket["number"]),
                **{name: ticket.get(name) for name in shown},
                "historial": by_ticket.get(ticket["number"], []),
                "archivos": files_of.get(ticket["number"], []),
            }
            for ticket in found.tickets
        ],
        "correos_enviados": [
            {
                "ticket": ticket_code(email["ticket"]),
                "estado": email["status"],
                "en_cola": email["created_at"],
                "enviado": email["done_at"],
                "archivo": _eml_name(email) if _eml_data(email) else None,
            }
            for email in found.emails
        ],
        "menciones_en_otros_tickets": [
            {"ticket": ticket_code(m["ticket"]) if m["ticket"] else None, "fecha": m["at"]}
            for m in found.elsewhere
        ],
    }


def _member(attachment: dict[str, Any]) -> str:
    name = os.path.basename(attachment["display_name"]) or "archivo"
    return f"archivos/{ticket_code(attachment['ticket'])}/{attachment['id']}-{name}"


def _eml_data(email: dict[str, Any]) -> str | None:
    state = json.loads(email["state"] or "{}")
    payload = json.loads(email["payload"] or "{}")
    return state.get("data") or payload.get("data")


def _eml_name(email: dict[str, Any]) -> str:
    return "correos/" + email["key"].replace(":", "-") + ".eml"


def _write_zip(target: Path, found: Found, data_dir: Path, now: datetime) -> None:
    partial = target.with_name(f".{target.name}.parcial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            summary = json.dumps(_summary(found, now), ensure_ascii=False, indent=2)
            archive.writestr("resumen.json", summary)
            for email in found.emails:
                data = _eml_data(email)
                if data:
                    archive.writestr(_eml_name(email), data)
            for attachment in found.attachments:
                path = data_dir / attachment["stored_name"]
                if path.exists():
                    archive.write(path, _member(attachment))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


async def suppress(parts: Parts, correo: str, actor: str, subject: str) -> Suppressed:
    """Suppress everything of `correo`. Raises `Refused` while one of their tickets is open."""
    found = await find(parts, correo, actor, subject)
    if found.open:
        raise _still_open(found.open)
    numbers, now = found.numbers, parts.now()
    whole = _whole(found.correo)

    def without(text: str) -> str:
        # JSON text: the replacement needs no escaping and keeps it valid.
        return whole.sub(store.SUPPRESSED, text)

    try:
        async with parts.db.transaction() as conn:
            stored = await _suppress_tickets(
                conn,
                [(t["number"], t["slack_ts"]) for t in found.tickets],
                now,
                actor,
                REQUEST_REASON,
            )
            await store.redact(
                conn,
                [(m["id"], without(m["detail"])) for m in found.elsewhere],
                [
                    (q["id"], without(q["payload"]), without(q["state"]))
                    for q in found.queued_elsewhere
                ],
            )
            await store.record_request(conn, now, actor, "suprimir", subject, len(numbers))
    except store.StillOpen as reopened:
        raise _still_open(reopened.numbers) from None
    parts.wake_outbox()
    deleted = await asyncio.to_thread(
        _delete_files, parts.settings.data_dir, stored, numbers, parts.settings.mail_dir, True
    )
    await search.purge(parts.db)  # the search index's old terms, gone from the file too
    emptied = await parts.db.truncate_wal()
    return Suppressed(len(numbers), deleted, len(found.elsewhere), emptied)


def _still_open(numbers: list[int]) -> Refused:
    codes = ", ".join(ticket_code(n) for n in numbers)
    return Refused(f"Tiene tickets abiertos ({codes}): ciérrelos antes de suprimir sus datos.")


async def _suppress_tickets(
    conn: aiosqlite.Connection,
    tickets: list[tuple[int, str | None]],
    now: datetime,
    actor: str,
    reason: str,
) -> list[str]:
    """Suppress (number, card ts) tickets and queue their cards drawn again without the data;
    returns the attachments' stored names to delete once committed."""
    stored = await store.suppress(conn, [number for number, _ in tickets], now, actor, reason)
    stamp = int(now.timestamp())
    updates = [deliveries.card_update(number, stamp) for number, ts in tickets if ts]
    await queue.enqueue_many(conn, updates, now)
    return stored


def _delete_files(
    data_dir: Path, stored: list[str], numbers: list[int], mail: Path, outgoing: bool
) -> int:
    """The attachments, the emails written in local mode, and (`outgoing`) the files the
    reports lane left (local mode keeps exports, which list everyone's addresses)."""
    deleted = 0
    for name in stored:
        with contextlib.suppress(FileNotFoundError):
            (data_dir / name).unlink()
            deleted += 1
    prefixes = tuple(f"{ticket_code(n).lower()}-" for n in numbers)
    folders = [(mail, prefixes), *([(data_dir / "salida", None)] if outgoing else [])]
    for folder, keep in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if keep is None or path.name.startswith(keep):
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


async def run_retention(parts: Parts, keep: timedelta, ok: Callable[[], None]) -> None:
    """The retention worker: at start and every 24 h, suppress what was closed longer ago
    than `keep` (`HIB2B_RETENTION`)."""
    last: float | None = None
    while True:
        if last is None or time.monotonic() - last >= RETENTION_EVERY_S:
            await retention_pass(parts, parts.now() - keep)
            last = time.monotonic()
        ok()
        await asyncio.sleep(TICK_S)


async def retention_pass(parts: Parts, closed_before: datetime, batch: int = 500) -> int:
    """Suppress the closed tickets closed before `closed_before` (the retention period), a
    batch per transaction; returns how many."""
    db, done, after = parts.db, 0, ""
    while True:
        rows = await store.expired(db, closed_before, after, batch)
        if not rows:
            break
        numbers = [row[1] for row in rows]
        now = parts.now()
        async with db.transaction() as conn:
            stored = await _suppress_tickets(
                conn, [(row[1], row[2]) for row in rows], now, "retencion", RETENTION_REASON
            )
            await store.record_request(conn, now, "retencion", "retencion", "", len(numbers))
        parts.wake_outbox()
        settings = parts.settings
        await asyncio.to_thread(
            _delete_files, settings.data_dir, stored, numbers, settings.mail_dir, False
        )
        done += len(numbers)
        after = rows[-1][0]
        await asyncio.sleep(0)  # other writers between batches
    if done:
        await search.purge(db)
        await db.truncate_wal()
        log.info("retention: suppressed the personal data of %d closed tickets", done)
    return done
