"""Intake throughput and latency, measured on loopback against the real service.

Prints and writes to bench/results/intake.json:
- a baseline: GET /healthz requests per second (the same app, server and machine, same run);
- form submissions per second (GET the form, POST it, follow nothing) without and with a
  1 MiB PDF attachment, with CONCURRENCY clients;
- time from the POST's answer to the card arriving at the (fake) Slack Web API, p50/p95/max,
  one submission at a time on a quiet desk;
- the same during a burst: BURST_RATE forms a second for BURST_SECONDS (open loop: a new one
  every 1/BURST_RATE s whatever the answers), and how many cards reached Slack before the
  burst ended.

Run: make bench   (or: .venv/bin/python -m bench.intake [submissions])
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.report import percentiles, publish
from bot.domain.tokens import new_form_id
from tests import samples
from tests.desk import GOOD, Desk, hidden_fields, send_form, settings_for, slack_env
from tests.fakes.slack import FakeSlack

CONCURRENCY = 10
LATENCY_SAMPLES = 30
BURST_RATE, BURST_SECONDS = 80, 25


async def _pool(count: int, job) -> float:
    """Run `job(i)` for i < count with CONCURRENCY workers; returns seconds."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            await job(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(CONCURRENCY)])
    return time.perf_counter() - started


async def measure(count: int) -> dict:
    fake = await FakeSlack().start()
    folder = Path(tempfile.mkdtemp(prefix="hib2b-bench-"))
    desk = await Desk(settings_for(folder, **slack_env(fake.url))).start()
    results: dict = {"concurrency": CONCURRENCY, "submissions": count}
    try:
        async with aiohttp.ClientSession() as http:

            async def health(_: int) -> None:
                async with http.get(desk.url + "/healthz") as response:
                    await response.read()

            seconds = await _pool(count * 2, health)
            results["baseline_healthz_per_s"] = round(count * 2 / seconds, 1)

            async def submit(i: int, attachment: bytes | None) -> None:
                async with http.get(desk.url + "/soporte") as page:
                    token = hidden_fields(await page.text())["form_token"]
                form = aiohttp.FormData()
                for name, value in {**GOOD, "form_token": token}.items():
                    form.add_field(name, value)
                if attachment is not None:
                    form.add_field("adjuntos", attachment, filename="factura.pdf")
                async with http.post(
                    desk.url + "/soporte", data=form, allow_redirects=False
                ) as response:
                    assert response.status == 303, await response.text()

            seconds = await _pool(count, lambda i: submit(i, None))
            results["form_per_s"] = round(count / seconds, 1)
            pdf = samples.big_pdf(1024 * 1024)
            seconds = await _pool(count, lambda i: submit(i, pdf))
            results["form_with_1mib_per_s"] = round(count / seconds, 1)

        await fake.wait_for(lambda: len(fake.cards()) >= 2 * count, timeout=300)
        # Latency on a quiet desk: one supplier at a time, submit answered → card at Slack.
        latencies = []
        async with aiohttp.ClientSession() as http:
            for _ in range(LATENCY_SAMPLES):
                before = len(fake.cards())
                await send_form(http, desk.url)
                answered = time.perf_counter()
                await fake.wait_for(lambda b=before: len(fake.cards()) > b, timeout=30)
                latencies.append((fake.calls_to("chat.postMessage")[-1].at - answered) * 1000)
        latencies.sort()
        results["submit_to_card_ms"] = {"samples": len(latencies), **percentiles(latencies)}
        results["burst"] = await _burst(desk, fake)
    finally:
        await desk.stop()
        await fake.stop()
    return results


async def _burst(desk: Desk, fake: FakeSlack) -> dict:
    """Forms at BURST_RATE a second; each answer's time kept by ticket number (the thank-you
    link carries it), matched with its card's arrival at Slack."""
    signer, answered = desk.services.signer, {}
    async with aiohttp.ClientSession() as http:

        async def one() -> None:
            token = signer.sign("form", new_form_id(), desk.services.now())
            async with http.post(
                desk.url + "/soporte", data={**GOOD, "form_token": token}, allow_redirects=False
            ) as response:
                assert response.status == 303, await response.text()
                number = int(response.headers["Location"].split("t=")[1].split(".")[0])
            answered[number] = time.monotonic()

        total, tasks = BURST_RATE * BURST_SECONDS, []
        started = time.monotonic()
        for i in range(total):
            await asyncio.sleep(max(0.0, started + i / BURST_RATE - time.monotonic()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        ended = time.monotonic()

    def card_of(text: str) -> int | None:
        code = text.split(" ", 1)[0]
        return int(code[3:]) if code.startswith("HD-") and code[3:].isdigit() else None

    await fake.wait_for(
        lambda: sum(1 for m in fake.cards() if card_of(m.get("text", "")) in answered) >= total,
        timeout=600,
    )
    latencies, during = [], 0
    for call in fake.calls_to("chat.postMessage"):
        number = card_of(call.args.get("text", ""))
        if number in answered and not call.args.get("thread_ts"):
            latencies.append((call.at - answered[number]) * 1000)
            during += call.at <= ended
    return {
        "rate_per_s": round(total / (ended - started), 1),
        "submissions": total,
        "cards_before_burst_ended": during,
        "submit_to_card_ms": percentiles(latencies),
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    publish("intake", asyncio.run(measure(count)))


if __name__ == "__main__":
    main()
