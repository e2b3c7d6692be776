"""The export at scale: `python -m bench.export [--tickets N]` (default 100,000).

On a seeded desk (`bench.seed`), through the operator's own export (the CLI's path): every
ticket to CSV and to XLSX, timed, with the process's peak memory after each; beside the
baseline of reading the same rows without writing them (same run). Goal: 100,000 tickets in
under 10 s, memory flat (pages of 1,000 rows, streamed).

Writes bench/results/export.json."""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

from bench import seed as seeding
from bot.render.export import COLUMNS
from bot.wiring import Runtime
from store import spreadsheets

SINCE, UNTIL = date(2020, 1, 1), date(2100, 12, 31)


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def measure(runtime: Runtime) -> dict:
    folder = runtime.settings.data_dir
    results: dict = {"peak_mib_before": _peak_mib()}
    operator = runtime.desk.operator
    started = time.perf_counter()
    read = 0
    async for _ in operator.export_rows(SINCE, UNTIL):
        read += 1
    results["baseline_read_rows_s"] = round(time.perf_counter() - started, 2)
    results["rows"] = read
    for suffix in (".csv", ".xlsx"):
        target = folder / f"tickets{suffix}"
        started = time.perf_counter()
        count = await spreadsheets.write(target, COLUMNS, operator.export_rows(SINCE, UNTIL))
        results[suffix[1:]] = {
            "rows": count,
            "seconds": round(time.perf_counter() - started, 2),
            "mib": round(target.stat().st_size / 2**20, 1),
            "peak_mib_after": _peak_mib(),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()
    seeding.on_seeded_desk(
        "export",
        args.tickets,
        measure,
        tickets=args.tickets,
        goal="100,000 tickets in under 10 s each, memory flat",
    )


if __name__ == "__main__":
    main()
