"""What every benchmark does with its figures: stamp, write to bench/results, print."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[max(int(len(ordered) * 0.95) - 1, 0)], 1),
        "p99": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)], 1),
        "max": round(ordered[-1], 1),
    }


def publish(name: str, results: dict) -> None:
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
