"""Intake throughput and latency, measured on loopback against the real service running in a
process of its own (as deployed; `bench.child`), Slack and SMTP played by fakes in this one.

Prints and writes to bench/results/intake.json:
- a baseline: GET /healthz requests per second (the same service, server and machine, same run);
- form submissions per second (GET the form, POST it, follow nothing) without and with a
  1 MiB PDF attachment, with CONCURRENCY clients, and the service's CPU per form;
- time from the POST's answer to the card arriving at the (fake) Slack Web API, p50/p95/max,
  one submission at a time on a quiet desk;
- the same during a burst: BURST_RATE forms a second for BURST_SECONDS (open loop: a new one
  every 1/BURST_RATE s whatever the answers), how many cards reached Slack before the burst
  ended, and the confirmation emails' submit → SMTP latency.

Run: make bench   (or: .venv/bin/python -m bench.intake [submissions])
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.child import Child
from bench.report import percentiles, publish
from bot.domain.tokens import Signer, new_form_id
from bot.wiring import utc_now
from tests import samples
from tests.conftest import smtp_env
from tests.desk import GOOD, hidden_fields, send_form, settings_env, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

CONCURRENCY = 10
LATENCY_SAMPLES = 30
BURST_RATE, BURST_SECONDS = 80, 25


async def concurrently(count: int, job) -> float:
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
    smtp = FakeSmtp().start()
    folder = Path(tempfile.mkdtemp(prefix="hib2b-bench-"))
    env = settings_env(folder, **slack_env(fake.url), **smtp_env(smtp))
    service = await Child.start(folder / "service.log", "ours", str(folder), env=env)
    url = service.url
    results: dict = {"concurrency": CONCURRENCY, "submissions": count}
    try:
        async with aiohttp.ClientSession() as http:

            async def health(_: int) -> None:
                async with http.get(url + "/healthz") as response:
                    await response.read()

            seconds = await concurrently(count * 2, health)
            results["baseline_healthz_per_s"] = round(count * 2 / seconds, 1)

            async def submit(i: int, attachment: bytes | None) -> None:
                async with http.get(url + "/soporte") as page:
                    token = hidden_fields(await page.text())["form_token"]
                form = aiohttp.FormData()
                for name, value in {**GOOD, "form_token": token}.items():
                    form.add_field(name, value)
                if attachment is not None:
                    form.add_field("adjuntos", attachment, filename="factura.pdf")
                async with http.post(
                    url + "/soporte", data=form, allow_redirects=False
                ) as response:
                    assert response.status == 303, await response.text()

            used = service.cpu_s()
            seconds = await concurrently(count, lambda i: submit(i, None))
            results["form_per_s"] = round(count / seconds, 1)
            results["service_cpu_ms_per_form"] = round((service.cpu_s() - used) * 1000 / count, 2)
            pdf = samples.big_pdf(1024 * 1024)
            seconds = await concurrently(count, lambda i: submit(i, pdf))
            results["form_with_1mib_per_s"] = round(count / seconds, 1)

        await fake.wait_for(lambda: len(fake.cards()) >= 2 * count, timeout=300)
        await smtp.wait_for(2 * count, timeout=300)
        # Latency on a quiet desk: one supplier at a time, submit answered → card at Slack.
        latencies = []
        async with aiohttp.ClientSession() as http:
            for _ in range(LATENCY_SAMPLES):
                before = len(fake.cards())
                await send_form(http, url)
                answered = time.perf_counter()
                await fake.wait_for(lambda b=before: len(fake.cards()) > b, timeout=30)
                latencies.append((fake.calls_to("chat.postMessage")[-1].at - answered) * 1000)
        latencies.sort()
        results["submit_to_card_ms"] = {"samples": len(latencies), **percentiles(latencies)}
        await smtp.wait_for(2 * count + LATENCY_SAMPLES, timeout=300)
        results["burst"] = await _burst(
            url, Signer(env["HIB2B_SECRET_KEY"].encode()), fake, smtp, service
        )
    finally:
        await service.stop()
        await fake.stop()
        smtp.stop()
    return results


async def _burst(url: str, signer: Signer, fake: FakeSlack, smtp: FakeSmtp, service: Child) -> dict:
    """Forms at BURST_RATE a second; each answer's time kept by ticket number (the thank-you
    link carries it), matched with its card's arrival at Slack and its email's at SMTP."""
    answered: dict[int, float] = {}
    mailed: dict[int, float] = {}
    seen = len(smtp.messages)

    async def stamp_emails() -> None:
        # The fake SMTP keeps no times: look every 20 ms (the figures are that coarse).
        nonlocal seen
        while True:
            now, messages = time.monotonic(), smtp.messages
            for message in messages[seen:]:
                number = _ticket_of(str(message["Subject"]).removeprefix("["))
                if number is not None:
                    mailed.setdefault(number, now)
            seen = len(messages)
            await asyncio.sleep(0.02)

    stamper = asyncio.create_task(stamp_emails())
    async with aiohttp.ClientSession() as http:

        async def one() -> None:
            token = signer.sign("form", new_form_id(), utc_now())
            async with http.post(
                url + "/soporte", data={**GOOD, "form_token": token}, allow_redirects=False
            ) as response:
                assert response.status == 303, await response.text()
                number = int(response.headers["Location"].split("t=")[1].split(".")[0])
            answered[number] = time.monotonic()

        total, tasks = BURST_RATE * BURST_SECONDS, []
        started = time.monotonic()
        # Whose CPU was short during the burst: the service's, or this process's (the load,
        # the fakes)? Each in cores used over the burst.
        cpu_ours, cpu_bench = service.cpu_s(), time.process_time()
        for i in range(total):
            await asyncio.sleep(max(0.0, started + i / BURST_RATE - time.monotonic()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
        ended = time.monotonic()
        cores = {
            "service": round((service.cpu_s() - cpu_ours) / (ended - started), 2),
            "bench_and_fakes": round((time.process_time() - cpu_bench) / (ended - started), 2),
        }

    await fake.wait_for(
        lambda: sum(1 for m in fake.cards() if _ticket_of(m.get("text", "")) in answered) >= total,
        timeout=600,
    )
    async with asyncio.timeout(600):
        while sum(1 for n in answered if n in mailed) < total:  # noqa: ASYNC110 (the fake SMTP has no event)
            await asyncio.sleep(0.05)
    stamper.cancel()
    latencies, during = [], 0
    for call in fake.calls_to("chat.postMessage"):
        number = _ticket_of(call.args.get("text", ""))
        if number in answered and not call.args.get("thread_ts"):
            latencies.append((call.at - answered[number]) * 1000)
            during += call.at <= ended
    emails = [(mailed[n] - answered[n]) * 1000 for n in answered if n in mailed]
    return {
        "rate_per_s": round(total / (ended - started), 1),
        "submissions": total,
        "cards_before_burst_ended": during,
        "cores_used_during_burst": cores,
        "submit_to_card_ms": percentiles(sorted(latencies)),
        "submit_to_email_ms": percentiles(sorted(emails)),
    }


def _ticket_of(text: str) -> int | None:
    """N of a card's or a subject's leading `HD-N`."""
    code = text.split(" ", 1)[0].rstrip("]")
    return int(code[3:]) if code.startswith("HD-") and code[3:].isdigit() else None


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    publish("intake", asyncio.run(measure(count)))


if __name__ == "__main__":
    main()
