"""`/hib2b` round trips through the real service: signed HTTP request in, Bolt's answer out.

Prints and writes to bench/results/commands.json, p50/p95 in milliseconds, sequential and with
CONCURRENT requests at once, next to a same-run baseline (GET /healthz on the same server).
Commands that change a ticket (`tomar`/`soltar`) include their transaction and queued effects.

Run: .venv/bin/python -m bench.commands [rounds]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.report import percentiles, publish
from tests.desk import Desk, settings_for, slack_env, slash_command
from tests.fakes.slack import FakeSlack

CONCURRENT = 20


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure(rounds: int) -> dict:
    fake = await FakeSlack().start()
    folder = Path(tempfile.mkdtemp(prefix="hib2b-bench-"))
    env = {**slack_env(fake.url), "HIB2B_TECHNICIANS": "U0TECH1"}
    desk = await Desk(settings_for(folder, **env)).start()
    results: dict = {"rounds": rounds, "concurrent": CONCURRENT}
    try:
        for _ in range(20):
            await desk.submit()

        async def healthz() -> None:
            await desk.get("/healthz")

        async def command(text: str) -> None:
            response = await desk.slack(slash_command(text))
            assert response.status == 200 and response.text, response.text

        cases: dict[str, Callable[[int], Awaitable[None]]] = {
            "baseline_healthz": lambda i: healthz(),
            "ver": lambda i: command(f"ver {i % 20 + 1}"),
            "lista": lambda i: command("lista"),
            "tomar_soltar": lambda i: command(f"{'tomar' if i % 2 == 0 else 'soltar'} 1"),
        }
        for name, case in cases.items():
            await case(0)  # warm up (Bolt's auth.test, caches)
            sequential = [await _timed(lambda i=i, case=case: case(i)) for i in range(rounds)]
            concurrent: list[float] = []
            for start in range(0, rounds, CONCURRENT):
                concurrent += await asyncio.gather(
                    *[
                        _timed(lambda i=i, case=case: case(i))
                        for i in range(start, start + CONCURRENT)
                    ]
                )
            results[name] = {
                "sequential_ms": percentiles(sequential),
                "concurrent_ms": percentiles(concurrent),
            }
    finally:
        await desk.stop()
        await fake.stop()
    return results


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    publish("commands", asyncio.run(measure(rounds)))


if __name__ == "__main__":
    main()
