"""The desk at scale: `python -m bench.scale [--tickets N] [--data-dir DIR] [--rounds N]`.

On a seeded desk (`bench.seed`; seeded into a temporary folder unless `--data-dir` names one
already seeded), Slack played by the fake Web API:

- the service and a bare slack-bolt app (Bolt's defaults, acking `/hib2b` and nothing else)
  each run in a process of their own (`bench.child`), as deployed, the requests coming from
  this one: start-up (process spawned to a ready `/healthz`), `/healthz` and `/readyz`, every
  `/hib2b` sub-command as a signed request sequentially, and `ver`, `tomar` and `sla` 20 in
  flight, taking turns with the bare app (three rounds each; the median round's p99 is
  compared), each with the server's own CPU per request (from /proc: bare vs ours);
- then, inside this process: what computing the SLA report costs, and the SLA watcher
  catching up after three days of downtime (every open ticket's reminders due) while
  technicians ask `ver` 20 times a second;
- bytes per ticket of the database.

The desk's clock starts at the seed's "now" (so the watcher has nothing to catch up with while
commands are measured) and runs at the wall clock's pace.

Writes bench/results/scale.json. With `--postgresql`, the same seeded desk is copied into a
throwaway PostgreSQL (`hib2b migrar`'s copy, timed) and the served part is measured on it,
beside the same bare app: bench/results/scale-postgresql.json."""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import hmac
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp

from bench import seed as seeding
from bench.child import Child
from bench.report import publish
from bot.cases.reports import gather
from bot.delivery.watcher import catch_up
from store.db import to_db
from store.sla import OPEN
from tests.desk import SIGNING_SECRET, Desk, settings_env, settings_for, slack_env, slash_command
from tests.fakes.slack import FakeSlack

IN_FLIGHT = 20
VER_RATE = 20
ROUNDS = 60


def _pct(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)

    return {"p50": at(0.5), "p99": at(0.99), "max": round(ordered[-1], 1)}


class Signed:
    """Signed POSTs to one `/slack/events`, as Slack sends them."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.url = http, url + "/slack/events"
        self.unanswered = 0

    async def post(self, body: str) -> str:
        ts = str(int(time.time()))
        digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + digest.hexdigest(),
        }
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                # Bolt gave up waiting for our ack (Slack's 3 s): the user sees an error.
                self.unanswered += 1
            return text


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _series(
    call: Callable[[int], Awaitable[object]], rounds: int, cpu: Callable[[], float]
) -> dict:
    """Sequential requests: latency seen by the client, and the server's CPU per request."""
    await call(0)  # warm up
    used = cpu()
    sequential = [await _timed(lambda i=i: call(i)) for i in range(rounds)]
    cpu_ms = (cpu() - used) * 1000 / rounds
    return {"sequential_ms": _pct(sequential), "cpu_ms_per_request": round(cpu_ms, 2)}


async def _in_flight(
    call: Callable[[int], Awaitable[object]], rounds: int, cpu: Callable[[], float] | None = None
) -> dict:
    samples: list[float] = []
    used = cpu() if cpu else 0.0
    for start in range(0, rounds, IN_FLIGHT):
        samples += await asyncio.gather(
            *[_timed(lambda i=i: call(i)) for i in range(start, start + IN_FLIGHT)]
        )
    figures = _pct(samples)
    if cpu:
        figures["cpu_ms_per_request"] = round((cpu() - used) * 1000 / len(samples), 2)
    return figures


async def _catch_up(
    desk: Desk, ver: Callable[[int], Awaitable[str]], offset: list[timedelta]
) -> dict:
    """The watcher was down since every open ticket arrived (nothing recorded), and comes back
    three days later: one catch-up, timed, with technicians' `ver` measured while it runs."""
    db = desk.services.db
    async with db.transaction() as conn:
        await conn.execute(
            f"DELETE FROM reminders WHERE ticket IN (SELECT number FROM tickets WHERE {OPEN})"
        )
        await conn.execute(
            "UPDATE tickets SET sla_next_at = CASE WHEN first_contact_at IS NULL"
            f" THEN fc_target_at ELSE res_target_at END WHERE {OPEN} AND sla_runs = 1"
        )
    offset[0] = timedelta(days=3)
    now = desk.services.now()
    due = (
        await db.fetchone(
            "SELECT count(*) FROM tickets WHERE sla_next_at IS NOT NULL AND sla_next_at <= ?",
            (to_db(now),),
        )
    )[0]
    started = time.perf_counter()
    task = asyncio.create_task(catch_up(db, now))
    # Technicians keep working meanwhile: VER_RATE `ver` a second (a busy team), each timed.
    asks: list[asyncio.Task[float]] = []
    while not task.done():
        asks.append(asyncio.create_task(_timed(functools.partial(ver, len(asks)))))
        await asyncio.sleep(1 / VER_RATE)
    queued = await task
    samples = list(await asyncio.gather(*asks))
    return {
        "due_tickets": due,
        "reminders_queued": queued,
        "seconds": round(time.perf_counter() - started, 1),
        "ver_meanwhile_ms": _pct(samples) if samples else None,
    }


async def _sla_computed(desk: Desk) -> dict:
    """`/hib2b sla` is shared for ten seconds; this is what computing it costs each time."""
    runtime = desk.services
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        await gather(runtime.db, runtime.policies.default, runtime.now())
        samples.append((time.perf_counter() - started) * 1000)
    return _pct(samples)


async def measure(folder: Path, tickets: int, rounds: int) -> dict:
    fake = await FakeSlack().start()
    env = {**slack_env(fake.url), "HIB2B_TECHNICIANS": "U0TECH00", "HIB2B_LEADS": "U0LEAD01"}
    results: dict = {"tickets": tickets}
    database = folder / "hib2b.sqlite3"
    results["bytes_per_ticket"] = round(database.stat().st_size / tickets)
    try:
        results.update(await _served(folder, tickets, rounds, env))
        results.update(await _inside(folder, tickets, env))
    finally:
        await fake.stop()
    return results


async def _served(folder: Path, tickets: int, rounds: int, env: dict[str, str]) -> dict:
    """The service and the bare app each in a process of its own (as deployed), the requests
    from this one: latency, and each server's own CPU per request."""
    results: dict = {}
    log = folder / "bench-children.log"
    settings = {**settings_env(folder), **env}
    ours = await Child.start(log, "ours", str(folder), seeding.NOW.isoformat(), env=settings)
    bare = await Child.start(log, "bare", env=settings)
    try:
        async with aiohttp.ClientSession() as http:

            async def get(path: str) -> int:
                async with http.get(ours.url + path) as response:
                    await response.read()
                    return response.status

            # Polling the endpoint is the measurement: when would a load balancer see it ready?
            while await get("/healthz") != 200:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            results["start_to_ready_healthz_s"] = round(ours.spawned_to_ready_s, 2)
            results["start_to_ready_note"] = "process spawned (interpreter and imports) to READY"
            results["healthz"] = await _series(lambda i: get("/healthz"), rounds, ours.cpu_s)
            results["readyz"] = await _series(lambda i: get("/readyz"), rounds, ours.cpu_s)
            results.update(
                await _commands(
                    Signed(http, ours.url), Signed(http, bare.url), ours, bare, tickets, rounds
                )
            )
    finally:
        await ours.stop()
        await bare.stop()
    return results


def _command_calls(
    ours: Signed, bare: Signed, tickets: int
) -> dict[str, Callable[[int], Awaitable[str]]]:
    open_numbers = range(tickets - tickets // 20 + 1, tickets + 1)

    def ticket(i: int) -> int:
        return open_numbers[(i * 7919) % len(open_numbers)]

    def line(text: str, user: str = "U0TECH00") -> Callable[[int], Awaitable[str]]:
        return lambda i: ours.post(slash_command(text.format(n=ticket(i)), user=user))

    mine = ticket(0)
    return {
        "bare_bolt_ack": lambda i: bare.post(slash_command("ver 1", user="U0TECH00")),
        "ayuda": line("ayuda"),
        "ver": line("ver {n}"),
        "lista": line("lista"),
        "lista_mios": line("lista mios"),
        "lista_sin_asignar": line("lista sin-asignar"),
        "lista_vencidos": line("lista vencidos"),
        "sla": line("sla", user="U0LEAD01"),
        "sla_ticket": line("sla {n}"),
        "sla_cliente": line("sla cliente7", user="U0LEAD01"),
        "tomar_soltar": lambda i: ours.post(
            slash_command(f"{'tomar' if i % 2 == 0 else 'soltar'} {mine}", user="U0LEAD01")
        ),
        "nota": line("nota {n} revisado en la base"),
        "equipo_lista": line("equipo lista"),
        "cliente_lista": line("cliente lista", user="U0LEAD01"),
    }


async def _commands(
    ours: Signed, bare: Signed, ours_child: Child, bare_child: Child, tickets: int, rounds: int
) -> dict:
    results: dict = {}
    commands = _command_calls(ours, bare, tickets)

    def cpu_of(name: str) -> Callable[[], float]:
        return bare_child.cpu_s if name == "bare_bolt_ack" else ours_child.cpu_s

    sequential = {}
    for name, call in commands.items():
        before = ours.unanswered + bare.unanswered
        sequential[name] = await _series(call, rounds, cpu_of(name))
        sequential[name]["unanswered"] = ours.unanswered + bare.unanswered - before
    results["commands"] = sequential
    floor = sequential["bare_bolt_ack"]["sequential_ms"]["p99"]
    # Bare and ours take turns, so a noisy moment of the machine falls on both.
    flights: dict[str, list[dict]] = {}
    for _ in range(3):
        for name in (
            "bare_bolt_ack",
            "ver",
            "bare_bolt_ack",
            "tomar_soltar",
            "bare_bolt_ack",
            "sla",
        ):
            flights.setdefault(name, []).append(
                await _in_flight(commands[name], rounds, cpu_of(name))
            )
    results["in_flight"] = {
        name: {
            "p99_each_round": [f["p99"] for f in rounds_of],
            "p99": sorted(f["p99"] for f in rounds_of)[len(rounds_of) // 2],
            "cpu_ms_per_request": sorted(f["cpu_ms_per_request"] for f in rounds_of)[
                len(rounds_of) // 2
            ],
        }
        for name, rounds_of in flights.items()
    }
    bare_flight = results["in_flight"]["bare_bolt_ack"]["p99"]
    results["ratios_p99"] = {
        "sequential_vs_bare": {
            name: round(s["sequential_ms"]["p99"] / floor, 2) for name, s in sequential.items()
        },
        "in_flight_vs_bare (median of rounds)": {
            name: round(s["p99"] / bare_flight, 2) for name, s in results["in_flight"].items()
        },
    }
    return results


async def _inside(folder: Path, tickets: int, env: dict[str, str]) -> dict:
    """What needs the service's own objects: the SLA report's cost, the watcher's catch-up."""
    results: dict = {}
    offset = [timedelta(0)]
    began = time.monotonic()

    def clock() -> datetime:
        return seeding.NOW + timedelta(seconds=time.monotonic() - began) + offset[0]

    desk = await Desk(settings_for(folder, **env), clock).start()
    try:
        while (await desk.get("/healthz")).status != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        assert desk.http is not None
        ours = Signed(desk.http, desk.url)
        ver = _command_calls(ours, ours, tickets)["ver"]
        results["sla_report_computed_ms"] = await _sla_computed(desk)
        results["watcher_catch_up"] = await _catch_up(desk, ver, offset)
    finally:
        await desk.stop()
    return results


async def measure_postgresql(folder: Path, tickets: int, rounds: int) -> dict:
    """The served part on PostgreSQL: the seeded desk copied in first (the copy timed)."""
    from store.transfer import copy_desk
    from tests.pg import Cluster

    cluster = Cluster().start()
    fake = await FakeSlack().start()
    try:
        cluster.psql("CREATE DATABASE scale")
        url = cluster.url("scale")
        started = time.monotonic()
        counted = await copy_desk(folder / "hib2b.sqlite3", url)
        results: dict = {
            "tickets": tickets,
            "engine": "postgresql",
            "migrar_s": round(time.monotonic() - started, 1),
            "migrar_rows": sum(c.target for c in counted),
        }
        env = {
            **slack_env(fake.url),
            "HIB2B_TECHNICIANS": "U0TECH00",
            "HIB2B_LEADS": "U0LEAD01",
            "HIB2B_DATABASE_URL": url,
        }
        results.update(await _served(folder, tickets, rounds, env))
        return results
    finally:
        await fake.stop()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, help="an already seeded folder (kept)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument(
        "--postgresql", action="store_true", help="measure the desk copied into PostgreSQL"
    )
    args = parser.parse_args()
    folder, made = args.data_dir, False
    if folder is None or not (folder / "hib2b.sqlite3").exists():
        folder = folder or Path(tempfile.mkdtemp(prefix="hib2b-scale-"))
        made = args.data_dir is None
        print(seeding.seed(folder, args.tickets))
        # The seed leaves gigabytes for the kernel to write back; measured meanwhile, every
        # fsync would wait behind them (commits of hundreds of ms that are the machine's).
        os.sync()
    # The seeded count is the database's own, whatever --tickets says.
    with sqlite3.connect(folder / "hib2b.sqlite3") as conn:
        tickets = conn.execute("SELECT value FROM counters WHERE name = 'ticket'").fetchone()[0]
    try:
        if args.postgresql:
            publish(
                "scale-postgresql", asyncio.run(measure_postgresql(folder, tickets, args.rounds))
            )
        else:
            publish("scale", asyncio.run(measure(folder, tickets, args.rounds)))
    finally:
        if made:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
