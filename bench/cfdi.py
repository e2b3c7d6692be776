"""Reading invoices: `python -m bench.cfdi [--files N]` (default 1,000).

Builds N real CFDIs (sealed with a test certificate: most good, some with a total changed after
sealing, some 3.3, some missing an attribute) and reads them three ways, in the same run:
the baseline, a plain XML parse of each file (what any desk would do to show it); the
diagnosis in this process (`bot.cfdi.read`: schema, seal, facts); and the service's path,
the bounded child processes (`bot.cfdi.pool`, 2 children), with the latency of each file.

Writes bench/results/cfdi.json."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from uuid import UUID

from lxml import etree

from bench.report import percentiles, publish
from bot.cfdi import read as reading
from bot.cfdi.pool import InvoiceReader
from tests import cfdi_samples as samples

NOW = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)


def invoices(count: int) -> list[bytes]:
    made = []
    for n in range(count):
        invoice = samples.Invoice(uuid=str(UUID(int=n + 1)).upper(), amount=str(100 + n))
        if n % 10 == 7:
            invoice = samples.Invoice(uuid=invoice.uuid, version="3.3")
        data = samples.build(invoice)
        if n % 10 == 8:
            data = samples.mutate(data, Total="1.00")
        if n % 10 == 9:
            data = samples.mutate(data, Moneda=None)
        made.append(data)
    return made


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


async def through_the_pool(files: list[bytes]) -> tuple[float, dict]:
    """All files at once through 2 children (throughput), then one at a time (what a supplier
    waits for one invoice, the pipe and the JSON included)."""
    reader = InvoiceReader(workers=2, timeout_s=30)
    try:
        await asyncio.gather(*(reader.read(files[0], NOW) for _ in range(2)))  # both started
        in_flight = asyncio.Semaphore(4)  # within the reader's bound of waiting reads

        async def one(data: bytes) -> bool:
            async with in_flight:
                found = await reader.read(data, NOW)
            return found is not None and not found.unchecked

        started = time.perf_counter()
        checked = await asyncio.gather(*(one(data) for data in files))
        elapsed = time.perf_counter() - started
        assert all(checked), f"{checked.count(False)} not checked"
        latencies: list[float] = []
        for data in files[:200]:
            started = time.perf_counter()
            await reader.read(data, NOW)
            latencies.append((time.perf_counter() - started) * 1000)
        return elapsed, percentiles(latencies)
    finally:
        await reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    files = invoices(args.files)
    built_s = time.perf_counter() - started
    size = sum(len(data) for data in files)

    started = time.perf_counter()
    for data in files:
        etree.fromstring(data, reading._PARSER)
    parse_s = time.perf_counter() - started

    reading.read(files[0], NOW)  # the schemas compiled once, as a running child has them
    started = time.perf_counter()
    problems = sum(1 for data in files if (found := reading.read(data, NOW)) and found.seal != "ok")
    read_s = time.perf_counter() - started

    pool_s, latency = asyncio.run(through_the_pool(files))
    publish(
        "cfdi",
        {
            "files": args.files,
            "mean_bytes": size // args.files,
            "built_s": round(built_s, 1),
            "baseline_plain_parse_per_s": _rate(args.files, parse_s),
            "diagnosis_in_process_per_s": _rate(args.files, read_s),
            "diagnosis_two_children_per_s": _rate(args.files, pool_s),
            "one_file_through_a_child_ms": latency,
            "seals_that_failed": problems,
        },
    )


if __name__ == "__main__":
    main()
