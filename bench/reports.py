"""A period's report at scale: `python -m bench.reports [--tickets N]` (default 150,000 over
three years, so the last two years hold ~100,000).

On a seeded desk (`bench.seed`), through the desk's own report (`hib2b reporte --salida`'s
path): the tickets touched in the period gathered and counted, then the chart drawn, timed
over `--rounds`; beside the baseline of reading the same rows without counting or drawing
(same run). Goal: a report over 100,000 tickets in under 2 s.

Writes bench/results/reports.json."""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as day_start
from functools import partial
from zoneinfo import ZoneInfo

from bench import seed as seeding
from bot.cases import period
from bot.domain.periods import Period
from bot.wiring import Runtime
from store import reports as store

TWO_YEARS = Period(seeding.NOW.date() - timedelta(days=729), seeding.NOW.date())


async def measure(runtime: Runtime, rounds: int) -> dict:
    zone = ZoneInfo(runtime.settings.timezone)
    start = datetime.combine(TWO_YEARS.since, day_start(), zone)
    end = datetime.combine(TWO_YEARS.until + timedelta(days=1), day_start(), zone)
    read, gathered, drawn, rows = [], [], [], 0
    parts = runtime.parts
    for _ in range(rounds):
        started = time.perf_counter()
        rows = len(await store.touched(parts.db, start, end))
        read.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = await period.gather(parts, TWO_YEARS)
        gathered.append(time.perf_counter() - started)
        started = time.perf_counter()
        chart = await period.draw(parts, TWO_YEARS)
        drawn.append(time.perf_counter() - started)
    return {
        "period": TWO_YEARS.label(),
        "tickets_received_in_period": report.report.total_received,
        "tickets_touched_in_period": rows,
        "png_kib": round(len(chart.data) / 1024, 1),
        "baseline_read_rows_s": _median(read),
        "gather_and_count_s": _median(gathered),
        "gather_count_and_draw_s": _median(drawn),
        "rounds": rounds,
    }


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    seeding.on_seeded_desk(
        "reports",
        args.tickets,
        partial(measure, rounds=args.rounds),
        seeded_tickets=args.tickets,
        goal="a report over 100,000 tickets (gathered, counted, drawn) under 2 s",
    )


if __name__ == "__main__":
    main()
