"""SLA clocks and reminders on a real SQLite file, with an injected clock (no sleeping)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cases.reports import Reports
from bot.cases.tickets import FormSubmission, act, create_from_form
from bot.delivery.senders import Deliveries
from bot.delivery.slack import LogChannel
from bot.delivery.smtp import FileSender
from bot.delivery.watcher import catch_up, watch_once
from bot.domain import clocks, workflow
from store import outbox as queue
from store import sla as sla_store
from store import tickets as store
from store.db import Database
from tests import pg
from tests.records import CTX, POLICIES, SLA, TECH, resolved

MX = ZoneInfo("America/Mexico_City")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=MX)


@pytest.fixture
async def db(tmp_path: Path):
    database = await pg.open_store_at(tmp_path / "hib2b.sqlite3")
    yield database
    await database.close()


async def new_ticket(db: Database, when: datetime, tipo: str = "conectividad") -> int:
    created = await create_from_form(
        db,
        FormSubmission(
            form_id=f"f{when.timestamp()}",
            tipo=tipo,
            usuario="xime1805",
            correo="x@example.com",
            liga_portal="",
            descripcion="Sin acceso",
            client_ip="",
        ),
        when,
        CTX,
        SLA,
    )
    return created.number


async def do(db: Database, number: int, when: datetime, rule) -> None:
    await act(db, number, TECH, lambda t: rule(t, when), when, CTX, POLICIES)


async def pings(db: Database) -> list[str]:
    return [d.key.split(":ping:")[1] for d in await queue.deliveries(db) if ":ping:" in d.key]


async def test_first_contact_clock_and_its_three_reminders(db: Database) -> None:
    number = await new_ticket(db, at(2026, 11, 20, 17))  # Friday 17:00
    ticket = await store.get_ticket(db, number)
    assert ticket is not None
    assert (ticket.fc_target_at, ticket.fc_warn_at, ticket.fc_due_at) == (
        at(2026, 11, 20, 18),
        at(2026, 11, 23, 11),
        at(2026, 11, 23, 12),
    )
    assert await watch_once(db, at(2026, 11, 20, 17, 59)) == 0  # not early
    assert await watch_once(db, at(2026, 11, 20, 18)) == 1
    assert await watch_once(db, at(2026, 11, 21, 12)) == 0  # the weekend: nothing new
    assert await watch_once(db, at(2026, 11, 23, 11)) == 1
    assert await watch_once(db, at(2026, 11, 23, 12)) == 1
    assert await watch_once(db, at(2026, 11, 24, 12)) == 0
    assert await pings(db) == [
        "primer_contacto:1:objetivo",
        "primer_contacto:1:por_vencer",
        "primer_contacto:1:vencido",
    ]
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.sla_next_at is None


async def test_after_downtime_only_the_most_advanced_stage(db: Database) -> None:
    await new_ticket(db, at(2026, 11, 20, 17))
    assert await watch_once(db, at(2026, 11, 24, 9)) == 1
    assert await pings(db) == ["primer_contacto:1:vencido"]
    async with db.read() as conn:
        rows = await sla_store.reminders_of(conn, 1)
    assert [(r["stage"], r["sent"]) for r in rows] == [
        ("objetivo", 0),
        ("por_vencer", 0),
        ("vencido", 1),
    ]


async def test_a_reminder_that_became_moot_is_not_sent(db: Database, tmp_path: Path) -> None:
    number = await new_ticket(db, at(2026, 11, 25, 10))
    await watch_once(db, at(2026, 11, 25, 11))  # objetivo queued
    await do(db, number, at(2026, 11, 25, 11, 1), lambda t, w: workflow.reply(t, TECH, "Hola", w))
    deliveries = Deliveries(
        db, LogChannel(), "C0", FileSender(tmp_path / "mail"), "America/Mexico_City", tmp_path, CTX
    )
    [ping] = [d for d in await queue.deliveries(db) if ":ping:" in d.key]
    async with db.transaction() as conn:
        await store.set_card(conn, number, "C0", "local.1")
    assert (await deliveries.reminder(ping)).result == "moot"


async def test_resolution_pauses_moves_and_resumes(db: Database) -> None:
    number = await new_ticket(db, at(2026, 11, 23, 9))  # Conectividad: Crítico, 1 h–6 h
    await do(db, number, at(2026, 11, 23, 10), lambda t, w: workflow.reply(t, TECH, "Hola", w))
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_gen == 1
    assert (ticket.res_started_at, ticket.res_target_at, ticket.res_due_at) == (
        at(2026, 11, 23, 10),
        at(2026, 11, 23, 11),
        at(2026, 11, 23, 16),
    )
    assert ticket.fc_business_s == 3600

    await do(db, number, at(2026, 11, 23, 12), lambda t, w: workflow.wait(t, TECH, "XML", w))
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_due_at is None and ticket.res_used_s == 2 * 3600
    # The objetivo passed while no watcher looked, and the clock is paused now: nothing to say.
    assert await watch_once(db, at(2026, 11, 23, 17)) == 0

    await do(db, number, at(2026, 11, 24, 9), lambda t, w: workflow.resume(t, TECH, w))
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_due_at == at(2026, 11, 24, 13)  # 4 h left
    assert ticket.res_target_at is None  # its 1 h was used before the pause
    assert ticket.res_warn_at == at(2026, 11, 24, 11, 30)  # 75 % of 6 h = 4.5 h

    await do(
        db,
        number,
        at(2026, 11, 24, 10),
        lambda t, w: workflow.set_severity(t, TECH, "bajo", "no es caída", w),
    )
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_gen == 2
    assert ticket.res_due_at == SLA.calendar.add(at(2026, 11, 24, 9), timedelta(hours=30))

    await do(
        db,
        number,
        at(2026, 11, 24, 11),
        lambda t, w: workflow.close(t, TECH, **resolved(now=w)),
    )
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_started_at is None
    assert ticket.res_used_s == 4 * 3600 and ticket.sla_next_at is None

    await do(
        db, number, at(2026, 11, 25, 9), lambda t, w: workflow.reopen(t, TECH, "volvió a fallar", w)
    )
    ticket = await store.get_ticket(db, number)
    assert ticket is not None and ticket.res_gen == 3
    assert ticket.res_due_at == SLA.calendar.add(at(2026, 11, 25, 9), timedelta(hours=28))


async def test_two_watchers_on_one_database_send_each_reminder_once(
    db: Database, tmp_path: Path
) -> None:
    for hour in range(9, 17):
        await new_ticket(db, at(2026, 11, 25, hour))
    other = await pg.open_store_at(tmp_path / "hib2b.sqlite3")
    try:
        when = at(2026, 11, 30, 9)
        results = await asyncio.gather(*[watch_once(d, when) for d in (db, other, db, other)])
    finally:
        await other.close()
    assert sum(results) == 8
    keys = [d.key for d in await queue.deliveries(db) if ":ping:" in d.key]
    assert len(keys) == len(set(keys)) == 8


def test_stages_in_order_and_generations() -> None:
    stages = clocks._stages(at(2026, 1, 5, 10), at(2026, 1, 5, 12), at(2026, 1, 5, 13))
    assert list(stages) == ["objetivo", "por_vencer", "vencido"]


async def test_after_downtime_one_look_catches_up_with_everything_due(db: Database) -> None:
    """Twelve tickets past their deadline, looked at five per transaction: one catch-up sends
    the most advanced reminder of each, once."""
    for minute in range(12):
        await new_ticket(db, at(2026, 11, 20, 10, minute))
    assert await catch_up(db, at(2026, 11, 25, 12), batch=5) == 12
    assert sorted(await pings(db)) == ["primer_contacto:1:vencido"] * 12
    assert await catch_up(db, at(2026, 11, 25, 12), batch=5) == 0


async def test_the_sla_report_is_computed_once_for_everyone_asking_at_once(db: Database) -> None:
    await new_ticket(db, at(2026, 11, 20, 10))
    reports = Reports(fresh_s=60)
    now = at(2026, 11, 25, 12)
    got = await asyncio.gather(*[reports.get(db, SLA, now) for _ in range(20)])
    assert all(report is got[0] for report in got)
    assert got[0].breached_total == 1 and got[0].breached[0].number == 1
    assert await reports.get(db, SLA, now + timedelta(seconds=30)) is got[0]
    # A change forgets it (the desk calls `forget` with every change it queues).
    await new_ticket(db, at(2026, 11, 20, 11))
    reports.forget()
    changed = await reports.get(db, SLA, now + timedelta(seconds=31))
    assert changed is not got[0] and changed.breached_total == 2
    # Older than it may be: computed again.
    assert await reports.get(db, SLA, now + timedelta(seconds=95)) is not changed


async def test_a_change_that_cannot_move_compliance_keeps_it_and_recounts_the_rest(
    db: Database,
) -> None:
    """At a million tickets the 7- and 30-day figures are the costly part of `/hib2b sla`:
    taking a ticket recounts the open tickets, not the month."""
    from dataclasses import replace

    from bot.cases.reports import settles
    from store import tickets as ticket_store

    await new_ticket(db, at(2026, 11, 20, 10))
    reports = Reports(fresh_s=60, settled_s=60)
    now = at(2026, 11, 25, 12)
    first = await reports.get(db, SLA, now)
    await new_ticket(db, at(2026, 11, 20, 11))
    reports.forget(settled=False)
    second = await reports.get(db, SLA, now + timedelta(seconds=1))
    assert second.breached_total == 2 and second.compliance is first.compliance
    reports.forget(settled=True)
    third = await reports.get(db, SLA, now + timedelta(seconds=2))
    assert third.compliance is not first.compliance

    ticket = await ticket_store.get_ticket(db, 1)
    assert ticket is not None
    taken = replace(ticket, status="asignado", assignee="U0ANA")
    assert not settles(ticket, taken)
    assert settles(taken, replace(taken, first_contact_at=now))
    assert settles(taken, replace(taken, status="cerrado", closed_at=now, close_kind="resuelto"))


async def test_a_shared_report_is_rendered_once_for_everyone_asking(db: Database) -> None:
    await new_ticket(db, at(2026, 11, 20, 10))
    reports = Reports(fresh_s=60)
    now = at(2026, 11, 25, 12)
    made: list[str] = []

    def render() -> str:
        made.append("x")
        return f"rendered {len(made)}"

    report = await reports.get(db, SLA, now)
    shown = [reports.derived(report, "lead", render) for _ in range(20)]
    assert shown == ["rendered 1"] * 20
    assert reports.derived(report, "channel", render) == "rendered 2"
    reports.forget(settled=False)
    again = await reports.get(db, SLA, now + timedelta(seconds=1))
    assert reports.derived(again, "lead", render) == "rendered 3"
