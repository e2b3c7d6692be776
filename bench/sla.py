"""SLA speed, against same-run baselines:

- `BusinessCalendar.add` calls per second (1 h to 32 h durations) next to businesstimedelta;
- one watcher pass over 10,000 open tickets (1 % due), and one with nothing due (target < 50 ms);
- `/hib2b sla` over 100,000 tickets of which 5,000 are open (target < 300 ms to the answer),
  measured in-process and as a signed HTTP round trip through the real service.

Writes bench/results/sla.json. Run: .venv/bin/python -m bench.sla
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import holidays
import pytz

from bench.report import publish
from bot.cases import reports
from bot.cases.plans import Policies
from bot.config import load_settings
from bot.delivery.watcher import watch_once
from bot.domain.calendar import BusinessCalendar
from bot.render import sla as sla_report
from bot.render.card import slack_date
from store.db import Database, to_db
from tests.desk import Desk, settings_for, slack_env, slash_command
from tests.fakes.slack import FakeSlack

MX = ZoneInfo("America/Mexico_City")
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=MX)
COLUMNS = (
    "number",
    "created_at",
    "source",
    "tipo",
    "severity",
    "status",
    "usuario",
    "correo",
    "descripcion",
    "assignee",
    "first_contact_at",
    "closed_at",
    "close_kind",
    "fc_target_at",
    "fc_warn_at",
    "fc_due_at",
    "fc_business_s",
    "res_used_s",
    "res_gen",
    "res_started_at",
    "res_target_at",
    "res_warn_at",
    "res_due_at",
    "sla_next_at",
)


def bench_add() -> dict:
    rnd = random.Random(1)
    cases = [
        (NOW + dt.timedelta(minutes=rnd.randrange(0, 60 * 24 * 365)), rnd.choice([1, 4, 8, 16, 32]))
        for _ in range(3000)
    ]
    cal = BusinessCalendar.default()
    tz = pytz.timezone("America/Mexico_City")
    oracle = btd.Rules(
        [
            btd.WorkDayRule(
                start_time=dt.time(9), end_time=dt.time(18), working_days=[0, 1, 2, 3, 4], tz=tz
            ),
            btd.HolidayRule(
                holidays.country_holidays("MX", years=range(2026, 2029), categories=("public",)),
                tz=tz,
            ),
        ]
    )
    started = time.perf_counter()
    for start, hours in cases:
        cal.add(start, dt.timedelta(hours=hours))
    ours = len(cases) / (time.perf_counter() - started)
    started = time.perf_counter()
    for start, hours in cases[:600]:
        start + btd.BusinessTimeDelta(oracle, hours=hours)
    theirs = 600 / (time.perf_counter() - started)
    return {
        "ours_per_s": round(ours),
        "businesstimedelta_per_s": round(theirs),
        "ratio": round(ours / theirs, 1),
    }


def _row(number: int, rnd: random.Random, open_: bool, due: bool) -> tuple:
    created = NOW - dt.timedelta(hours=rnd.randrange(1, 24 * 60))
    common = [number, to_db(created), "formulario", "conectividad", "critico"]
    text = ["proveedor", "p@example.com", "descripción"]
    if open_:
        next_at = NOW - dt.timedelta(minutes=1) if due else NOW + dt.timedelta(days=3)
        far = to_db(NOW + dt.timedelta(days=3))
        return (
            *common,
            "nuevo",
            *text,
            None,
            None,
            None,
            None,
            to_db(next_at),
            far,
            far,
            0.0,
            0.0,
            0,
            None,
            None,
            None,
            None,
            to_db(next_at),
        )
    contact = created + dt.timedelta(hours=1)
    closed = NOW - dt.timedelta(days=rnd.randrange(0, 60))
    return (
        *common,
        "cerrado",
        *text,
        "U0TECH1",
        to_db(contact),
        to_db(closed),
        "resuelto",
        to_db(created),
        to_db(created),
        to_db(contact),
        3600.0,
        7200.0,
        1,
        None,
        None,
        None,
        None,
        None,
    )


async def _fill(path: Path, total: int, open_count: int, due_count: int) -> None:
    db = await Database.open(path)
    rnd = random.Random(2)
    rows = [_row(n, rnd, n <= open_count, n <= due_count) for n in range(1, total + 1)]
    marks = ", ".join("?" for _ in COLUMNS)
    async with db.transaction() as conn:
        await conn.executemany(f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
        await conn.execute("UPDATE counters SET value = ? WHERE name = 'ticket'", (total,))
        # Each open ticket's card was delivered: reminders are queued after it.
        await conn.executemany(
            "INSERT INTO outbox (key, lane, kind, ticket, payload, status, next_at, created_at)"
            " VALUES (?, 'slack', 'card', ?, '{}', 'done', ?, ?)",
            [(f"hd-{n}:card", n, to_db(NOW), to_db(NOW)) for n in range(1, open_count + 1)],
        )
        await conn.execute(
            "UPDATE tickets SET slack_channel = 'C0SUPPORT', slack_ts = '1800000000.' || number"
            " WHERE number <= ?",
            (open_count,),
        )
    await db.close()


async def bench_watch() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="hib2b-bench-"))
    await _fill(folder / "db.sqlite3", 10_000, 10_000, 100)
    db = await Database.open(folder / "db.sqlite3")
    try:
        started = time.perf_counter()
        queued = await watch_once(db, NOW)
        due_pass = (time.perf_counter() - started) * 1000
        quiet = []
        for _ in range(20):
            started = time.perf_counter()
            await watch_once(db, NOW)
            quiet.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await db.fetchone("SELECT count(*) FROM tickets WHERE status != 'cerrado'")
        baseline = (time.perf_counter() - started) * 1000
    finally:
        await db.close()
    return {
        "open_tickets": 10_000,
        "due": 100,
        "reminders_queued": queued,
        "pass_with_due_ms": round(due_pass, 1),
        "pass_nothing_due_ms_p50": round(statistics.median(quiet), 2),
        "baseline_count_open_ms": round(baseline, 2),
    }


async def bench_report() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="hib2b-bench-"))
    await _fill(folder / "hib2b.sqlite3", 100_000, 5_000, 1_000)
    policy = Policies(load_settings({})).default
    db = await Database.open(folder / "hib2b.sqlite3")
    try:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            message = sla_report.render(
                await reports.gather(db, policy, NOW),
                partial(slack_date, zone="America/Mexico_City"),
            )
            times.append((time.perf_counter() - started) * 1000)
        assert "Abiertos: 5000" in message.plain
    finally:
        await db.close()
    fake = await FakeSlack().start()
    desk = await Desk(
        settings_for(
            folder, **slack_env(fake.url), HIB2B_TECHNICIANS="U0TECH1", HIB2B_WATCH_INTERVAL="1h"
        )
    ).start()
    try:
        await desk.slack(slash_command("ayuda"))  # warm up
        http = []
        for _ in range(5):
            started = time.perf_counter()
            response = await desk.slack(slash_command("sla"))
            http.append((time.perf_counter() - started) * 1000)
            assert "blocks" in json.loads(response.text)
        started = time.perf_counter()
        await desk.slack(slash_command("ayuda"))
        baseline = (time.perf_counter() - started) * 1000
    finally:
        await desk.stop()
        await fake.stop()
    return {
        "tickets": 100_000,
        "open": 5_000,
        "gather_render_ms_p50": round(statistics.median(times), 1),
        "http_round_trip_ms_p50": round(statistics.median(http), 1),
        "baseline_ayuda_round_trip_ms": round(baseline, 1),
    }


def main() -> None:
    publish(
        "sla",
        {
            "add": bench_add(),
            "watcher": asyncio.run(bench_watch()),
            "sla_command": asyncio.run(bench_report()),
        },
    )


if __name__ == "__main__":
    main()
