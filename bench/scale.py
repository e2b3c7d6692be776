"""The desk at scale: `python -m bench.scale [--tickets N] [--data-dir DIR]`.

On a seeded desk (`bench.seed`; seeded into a temporary folder unless `--data-dir` names one
already seeded), the real service on loopback, Slack played by the fake Web API:

- start-up to the first ready `/healthz`, then `/healthz` and `/readyz` latency;
- every `/hib2b` sub-command as a signed request, sequential (p50/p99) and, for `ver`, `tomar`
  and `sla`, 20 in flight — each beside a bare slack-bolt app acking the same signed requests
  in the same run, with the CPU each request costs (process time per request, bare vs ours);
- the SLA watcher catching up after three days of downtime (every open ticket's reminders
  due), with `ver` measured meanwhile;
- bytes per ticket of the database.

The desk's clock starts at the seed's "now" (so the watcher has nothing to catch up with while
commands are measured) and runs at the wall clock's pace.

Writes bench/results/scale.json."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench import seed as seeding
from bench.report import publish
from bot.cases.reports import gather
from bot.delivery.watcher import catch_up
from store.db import to_db
from store.sla import OPEN
from tests.desk import SIGNING_SECRET, Desk, settings_for, slack_env, slash_command
from tests.fakes.slack import FakeSlack

IN_FLIGHT = 20
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


async def bare_app(fake_url: str) -> tuple[web.AppRunner, str]:
    """A slack-bolt app that acks `/hib2b` and does nothing else: the floor."""
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-test-token", base_url=fake_url),
        signing_secret=SIGNING_SECRET,
        process_before_response=False,
    )

    @bolt.command("/hib2b")
    async def ack_only(ack: AsyncAck) -> None:
        await ack(text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _series(call: Callable[[int], Awaitable[object]], rounds: int) -> dict:
    await call(0)  # warm up
    cpu = time.process_time()
    sequential = [await _timed(lambda i=i: call(i)) for i in range(rounds)]
    cpu_ms = (time.process_time() - cpu) * 1000 / rounds
    return {"sequential_ms": _pct(sequential), "cpu_ms_per_request": round(cpu_ms, 2)}


async def _in_flight(call: Callable[[int], Awaitable[object]], rounds: int) -> dict:
    samples: list[float] = []
    for start in range(0, rounds, IN_FLIGHT):
        samples += await asyncio.gather(
            *[_timed(lambda i=i: call(i)) for i in range(start, start + IN_FLIGHT)]
        )
    return _pct(samples)


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
    samples = []
    while not task.done():
        samples.append(await _timed(lambda: ver(len(samples))))
    queued = await task
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
    offset = [timedelta(0)]
    began = time.monotonic()

    def clock() -> datetime:
        return seeding.NOW + timedelta(seconds=time.monotonic() - began) + offset[0]

    started = time.perf_counter()
    desk = await Desk(settings_for(folder, **env), clock).start()
    # Polling the endpoint is the measurement: when would a load balancer see it ready?
    while (await desk.get("/healthz")).status != 200:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    results["start_to_ready_healthz_s"] = round(time.perf_counter() - started, 2)
    bare_runner, bare_url = await bare_app(fake.url)
    try:
        assert desk.http is not None
        ours, bare = Signed(desk.http, desk.url), Signed(desk.http, bare_url)
        results["healthz"] = await _series(lambda i: desk.get("/healthz"), rounds)
        results["readyz"] = await _series(lambda i: desk.get("/readyz"), rounds)
        open_numbers = range(tickets - tickets // 20 + 1, tickets + 1)

        def ticket(i: int) -> int:
            return open_numbers[(i * 7919) % len(open_numbers)]

        def line(text: str, user: str = "U0TECH00") -> Callable[[int], Awaitable[str]]:
            return lambda i: ours.post(slash_command(text.format(n=ticket(i)), user=user))

        mine = ticket(0)
        commands: dict[str, Callable[[int], Awaitable[str]]] = {
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
        sequential = {}
        for name, call in commands.items():
            before = ours.unanswered + bare.unanswered
            sequential[name] = await _series(call, rounds)
            sequential[name]["unanswered"] = ours.unanswered + bare.unanswered - before
        results["commands"] = sequential
        floor = sequential["bare_bolt_ack"]["sequential_ms"]["p99"]
        results["in_flight"] = {}
        for name in ("bare_bolt_ack", "ver", "tomar_soltar", "sla"):
            results["in_flight"][name] = await _in_flight(commands[name], rounds)
        bare_flight = results["in_flight"]["bare_bolt_ack"]["p99"]
        results["ratios_p99"] = {
            "sequential_vs_bare": {
                name: round(s["sequential_ms"]["p99"] / floor, 2) for name, s in sequential.items()
            },
            "in_flight_vs_bare": {
                name: round(s["p99"] / bare_flight, 2) for name, s in results["in_flight"].items()
            },
        }
        results["sla_report_computed_ms"] = await _sla_computed(desk)
        results["watcher_catch_up"] = await _catch_up(desk, commands["ver"], offset)
    finally:
        await desk.stop()
        await bare_runner.cleanup()
        await fake.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, help="an already seeded folder (kept)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    folder, made = args.data_dir, False
    if folder is None or not (folder / "hib2b.sqlite3").exists():
        folder = folder or Path(tempfile.mkdtemp(prefix="hib2b-scale-"))
        made = args.data_dir is None
        print(seeding.seed(folder, args.tickets))
    # The seeded count is the database's own, whatever --tickets says.
    with sqlite3.connect(folder / "hib2b.sqlite3") as conn:
        tickets = conn.execute("SELECT value FROM counters WHERE name = 'ticket'").fetchone()[0]
    try:
        publish("scale", asyncio.run(measure(folder, tickets, args.rounds)))
    finally:
        if made:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
