"""The form's per-address rate limiter: hits per second with few addresses in the window (the
baseline, same run) and with a wide flood of them. Goal: the cost flat in the number of
addresses (the earlier limiter rescanned every address on each hit past 10,000).

Prints and writes bench/results/ratelimit.json.
Run: .venv/bin/python -m bench.ratelimit
"""

from __future__ import annotations

import time

from bench.report import publish
from handlers.ratelimit import RateLimiter


def hits_per_second(addresses: int, hits: int) -> float:
    clock = [0.0]
    limiter = RateLimiter(20, 60.0, lambda: clock[0])
    started = time.perf_counter()
    for i in range(hits):
        clock[0] = i * (30.0 / hits)  # all within one window
        n = i % addresses
        limiter.hit(f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}")
    return hits / (time.perf_counter() - started)


def main() -> None:
    baseline = hits_per_second(1_000, 200_000)
    wide = hits_per_second(100_000, 200_000)
    publish(
        "ratelimit",
        {
            "baseline_1000_addresses_hits_per_s": round(baseline),
            "flood_100000_addresses_hits_per_s": round(wide),
            "ratio": round(wide / baseline, 2),
            "goal": "flood within 2x of the baseline",
        },
    )


if __name__ == "__main__":
    main()
