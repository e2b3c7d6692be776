"""Search at scale: `python -m bench.search [--tickets N]` (default 100,000).

On a seeded desk (`bench.seed`; the index's triggers fill it as it seeds), the desk's own search
(`/hib2b buscar`'s path: query built, FTS5 matched, the 10 best by bm25 with their tickets)
for words common and rare, an address, a prefix and a number, `--rounds` each; beside, in the
same run, the floor (one ticket read by its number) and what a search without the index costs
(`LIKE '%…%'` over the descriptions). Also how long purging the index takes (after a privacy
suppression). Goal: 100,000 tickets searched in under 50 ms.

Writes bench/results/search.json."""

from __future__ import annotations

import argparse
import time
from functools import partial

from bench import seed as seeding
from bench.report import percentiles
from bot.cases import lookups
from bot.wiring import Runtime
from store import search as search_store

QUERIES = {
    "common word": "factura",
    "two words": "contraseña correo",
    "rare token": "módem",
    "prefix while typing": "restab",
    "an address": "proveedor1234@example.com",
    "a number": "HD-54321",
}


async def _timed(make, rounds: int) -> dict:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await make()
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


async def measure(runtime: Runtime, rounds: int) -> dict:
    results: dict = {}
    db = runtime.db
    searches = {}
    for name, text in QUERIES.items():
        searches[name] = await _timed(lambda t=text: lookups.search(db, t, 10), rounds)
        searches[name]["found"] = len(await lookups.search(db, text, 10))
    results["search_ms"] = searches
    results["baseline_ms"] = {
        "one ticket by number": await _timed(lambda: lookups.ticket(db, 54321), rounds),
        # What a search costs without an index: every description read.
        "LIKE over every description": await _timed(
            lambda: db.fetchall("SELECT count(*) FROM tickets WHERE descripcion LIKE '%módem%'"),
            max(3, rounds // 10),
        ),
    }
    started = time.perf_counter()
    await search_store.purge(db)
    results["purge_s"] = round(time.perf_counter() - started, 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    seeding.on_seeded_desk(
        "search",
        args.tickets,
        partial(measure, rounds=args.rounds),
        tickets=args.tickets,
        goal="100,000 tickets searched in under 50 ms (p99 of the desk's search)",
    )


if __name__ == "__main__":
    main()
