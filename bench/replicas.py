"""Intake on one SQLite process, one PostgreSQL process, and two replicas on one PostgreSQL, all
in the same run: the real service (`python -m bot`, `tests.service.Service`) in processes of its
own, Slack and SMTP played by fakes in this one, PostgreSQL a throwaway cluster (`tests.pg`) on a
Unix socket. The baseline is the first set-up, one process on SQLite (the default).

Each set-up runs ROUNDS times (3), the set-ups interleaved, each time from nothing: its own
folder, database, fakes and processes. Reported: each figure's median over the rounds and its
range (one round's window is a few seconds; others' work on this 2-core machine moves it). In
each round, after WARMUP submissions (drained, not counted: the first requests pay for
connections, templates and the leader election):
- form submissions per second (GET /soporte, POST it back, as `tests.desk.send_form` does) with
  CONCURRENCY clients; with two replicas, submission i goes to replica i % 2, as a round-robin
  proxy would send it (a form's GET and POST to the same one);
- drain: from the last submission's answer until every card is at the fake Slack, every
  confirmation email at the fake SMTP server and `/healthz` counts nothing pending or sending
  (desk-wide counts: asking one replica is enough); and the total, first submission → drained;
- CPU per form over the submissions and the drain: the services' (/proc/PID/stat), PostgreSQL's
  (the postmaster, its live backends and the ones that ended meanwhile), and this process's
  (the load and the fakes), since all of them share this machine's cores; and how many cores
  other processes on the machine kept busy meanwhile (/proc/stat less all of those): figures
  measured beside others' work (a test run, say) are not the machine's.
Also checked: exactly one card and one email per submission (none lost, none twice), no failed
delivery, and the services' logs (lines at ERROR or worse, or a traceback, are reported).

Writes bench/results/replicas.json (and prints it), then prints a table.
Run: .venv/bin/python -m bench.replicas [submissions [rounds]]   (default 300 and 3: 60-110 s
on 2 cores, much of it starting and stopping processes; the submissions are the full size)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.intake import concurrently
from bench.report import publish
from tests.conftest import smtp_env
from tests.desk import send_form, settings_env, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp
from tests.pg import Cluster
from tests.service import Service

CONCURRENCY = 10
WARMUP = 20
ROUNDS = 3
DRAIN_TIMEOUT_S = 120.0
POLL_S = 0.01
# (key in the results, label in the table, on PostgreSQL, processes)
SETUPS: tuple[tuple[str, str, bool, int], ...] = (
    ("baseline_sqlite_1_process", "SQLite, 1 process", False, 1),
    ("postgres_1_process", "PostgreSQL, 1 process", True, 1),
    ("postgres_2_replicas", "PostgreSQL, 2 replicas", True, 2),
)
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command name (which may hold spaces): [0] is state."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu_s(pid: int) -> float:
    """User + system CPU a process has used so far."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def cluster_cpu_s(cluster: Cluster) -> float:
    """PostgreSQL's CPU so far: the postmaster's own, its ended children's (reaped into its
    cutime and cstime) and its live children's (backends, autovacuum, the writers)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    fields = _stat(postmaster)
    total = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while we looked: its time is in the postmaster's cutime by now
        if int(child[1]) == postmaster:
            total += int(child[11]) + int(child[12])
    return total / TICK


def machine_busy_s() -> float:
    """CPU time every process on this machine has used so far (all cores, /proc/stat)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = ticks[3], ticks[4]
    return (sum(ticks[:8]) - idle - iowait) / TICK


async def _deliveries(http: aiohttp.ClientSession, service: Service) -> dict[str, Any]:
    async with http.get(service.url + "/healthz") as response:
        return (await response.json())["deliveries"]


async def _leads(http: aiohttp.ClientSession, service: Service) -> bool:
    async with http.get(service.url + "/healthz") as response:
        return bool((await response.json()).get("replica", {}).get("leader"))


async def _drained(
    http: aiohttp.ClientSession, service: Service, fake: FakeSlack, smtp: FakeSmtp, expected: int
) -> float:
    """Wait until `expected` cards and emails have arrived and the queue is empty; returns the
    monotonic time it was seen (to POLL_S plus one /healthz)."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while True:
        if len(fake.cards()) >= expected and len(smtp.messages) >= expected:
            # Both counts reached is not enough: a delivery may be sent and not yet marked done,
            # or something else (a card update) still queued; the desk's own count says.
            counts = await _deliveries(http, service)
            if counts["pending"] + counts["sending"] == 0:
                return time.monotonic()
        if time.monotonic() > deadline:
            counts = await _deliveries(http, service)
            raise TimeoutError(
                f"not drained in {DRAIN_TIMEOUT_S}s: {len(fake.cards())} of {expected} cards,"
                f" {len(smtp.messages)} emails, queue {counts}"
            )
        await asyncio.sleep(POLL_S)


def _log_problems(services: list[Service]) -> list[str]:
    """Lines at ERROR or CRITICAL, and each traceback's exception line, in the services' logs,
    the same one counted once per replica."""
    found: dict[str, int] = {}
    for index, service in enumerate(services):
        lines = service.log().splitlines()
        for at, line in enumerate(lines):
            if " ERROR " in line or " CRITICAL " in line:
                problem = line.split(" ", 2)[-1]  # without the time: the same one adds up
            elif line.startswith("Traceback"):
                # Its exception is the first line after it that is not a frame (indented).
                after = (x for x in lines[at + 1 :] if x and not x.startswith(" "))
                problem = "traceback: " + next(after, "?")
            else:
                continue
            key = f"replica {index}: {problem[:300]}"
            found[key] = found.get(key, 0) + 1
    return [f"{key} (x{times})" if times > 1 else key for key, times in found.items()]


async def run_setup(
    count: int, cluster: Cluster | None, processes: int, folder: Path
) -> dict[str, Any]:
    """One set-up, from nothing to stopped: its own fakes, folder and (on PostgreSQL) database."""
    fake = await FakeSlack().start()
    smtp = FakeSmtp().start()
    services: list[Service] = []
    results: dict[str, Any] = {}
    try:
        env = settings_env(folder / "data", **slack_env(fake.url), **smtp_env(smtp))
        if cluster is not None:
            env["HIB2B_DATABASE_URL"] = cluster.database_for(folder / "data")
        async with aiohttp.ClientSession() as http:
            services.append(await Service(folder, env).start())
            if processes > 1:
                # As the replica tests do: the first one leads before the others come, so that
                # which one leads (the watcher, the scheduler) is known, not a race.
                deadline = time.monotonic() + 30
                while not await _leads(http, services[0]):
                    if time.monotonic() > deadline:
                        raise TimeoutError("the first replica did not lead within 30 s")
                    await asyncio.sleep(0.05)
                for _ in range(processes - 1):
                    services.append(await Service(folder, env).start())

            async def submit(i: int) -> None:
                await send_form(http, services[i % len(services)].url)

            await concurrently(WARMUP, submit)
            await _drained(http, services[0], fake, smtp, WARMUP)

            pids = [service.process.pid for service in services if service.process]
            cpu_services = [process_cpu_s(pid) for pid in pids]
            cpu_pg = cluster_cpu_s(cluster) if cluster is not None else 0.0
            cpu_bench = time.process_time()
            cpu_machine = machine_busy_s()
            started = time.monotonic()
            await concurrently(count, submit)
            answered = time.monotonic()
            drained = await _drained(http, services[0], fake, smtp, WARMUP + count)
            used = [process_cpu_s(pid) - was for pid, was in zip(pids, cpu_services, strict=True)]
            used_pg = cluster_cpu_s(cluster) - cpu_pg if cluster is not None else 0.0
            used_bench = time.process_time() - cpu_bench
            # Whatever else ran meanwhile (this machine is shared): its cores, to read the
            # figures by; none of the set-up's own processes is in it.
            used_others = machine_busy_s() - cpu_machine - sum(used) - used_pg - used_bench

            last_card = max(call.at for call in fake.calls_to("chat.postMessage"))
            results = {
                "form_per_s": round(count / (answered - started), 1),
                "drain_s": round(drained - answered, 3),
                "last_card_after_last_answer_s": round(max(0.0, last_card - answered), 3),
                "total_s": round(drained - started, 3),
                "service_cpu_ms_per_form": round(sum(used) * 1000 / count, 2),
                "postgres_cpu_ms_per_form": round(used_pg * 1000 / count, 2),
                "bench_and_fakes_cpu_ms_per_form": round(used_bench * 1000 / count, 2),
                "other_processes_cores": round(max(0.0, used_others) / (drained - started), 2),
            }
            if processes > 1:
                results["service_cpu_ms_per_form_by_replica"] = [
                    round(u * 1000 / count, 2) for u in used
                ]
                results["leaders"] = [await _leads(http, s) for s in services]
            # Anything sent twice would have arrived by now or soon: a last look a moment on.
            await asyncio.sleep(0.5)
            final = await _deliveries(http, services[0])
            results["check"] = {
                "cards": len(fake.cards()) - WARMUP,
                "emails": len(smtp.messages) - WARMUP,
                "failed_deliveries": final["failed"],
            }
    finally:
        # Every service stops before the fakes it talks to (and the caller's cluster).
        exits = []
        for service in reversed(services):
            try:
                exits.append((await service.stop_async())[0])
            except AssertionError as error:
                exits.append(str(error))
        await fake.stop()
        smtp.stop()
    results["exit_statuses"] = exits[::-1]
    results["log_problems"] = _log_problems(services)
    return results


FIGURES = (
    "form_per_s",
    "drain_s",
    "last_card_after_last_answer_s",
    "total_s",
    "service_cpu_ms_per_form",
    "postgres_cpu_ms_per_form",
    "bench_and_fakes_cpu_ms_per_form",
    "other_processes_cores",
)


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """A set-up's rounds as one: each figure's median, its range, and every check kept."""
    summary: dict[str, Any] = {
        name: round(statistics.median(r[name] for r in rounds), 3) for name in FIGURES
    }
    summary["range"] = {
        name: [min(r[name] for r in rounds), max(r[name] for r in rounds)] for name in FIGURES
    }
    if "service_cpu_ms_per_form_by_replica" in rounds[0]:
        summary["service_cpu_ms_per_form_by_replica"] = [
            round(statistics.median(per), 2)
            for per in zip(*(r["service_cpu_ms_per_form_by_replica"] for r in rounds), strict=True)
        ]
        summary["leaders"] = [r["leaders"] for r in rounds]
    summary["check"] = {name: [r["check"][name] for r in rounds] for name in rounds[0]["check"]}
    summary["exit_statuses"] = [r["exit_statuses"] for r in rounds]
    summary["log_problems"] = [
        f"round {i + 1}, {problem}" for i, r in enumerate(rounds) for problem in r["log_problems"]
    ]
    return summary


async def measure(count: int, rounds: int, cluster: Cluster) -> dict[str, Any]:
    results: dict[str, Any] = {
        "submissions": count,
        "concurrency": CONCURRENCY,
        "warmup_submissions": WARMUP,
        "rounds": rounds,
        "cores": os.cpu_count(),
        # Others' work on this machine shows in the ranges: what was running as we began.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    samples: dict[str, list[dict[str, Any]]] = {key: [] for key, *_ in SETUPS}
    # Rounds interleave the set-ups, so that a while of other load on the machine falls on all
    # of them alike rather than on whichever ran then.
    for _ in range(rounds):
        for key, _, on_postgres, processes in SETUPS:
            folder = Path(tempfile.mkdtemp(prefix=f"hib2b-bench-{key}-"))
            cluster_used = cluster if on_postgres else None
            try:
                sample = await run_setup(count, cluster_used, processes, folder)
            except Exception as error:
                error.add_note(f"{key}: the services' logs are in {folder}")
                raise
            samples[key].append(sample)
            # A clean round's folder goes; one with something in its logs stays to be read.
            if sample["log_problems"] or any(status != 0 for status in sample["exit_statuses"]):
                results.setdefault("folders_kept", []).append(str(folder))
            else:
                shutil.rmtree(folder, ignore_errors=True)
    for key, *_ in SETUPS:
        results[key] = summarize(samples[key])
    baseline = results[SETUPS[0][0]]
    for key, *_ in SETUPS[1:]:
        results[key]["vs_baseline"] = {
            name: round(results[key][name] / baseline[name], 2) if baseline[name] else None
            for name in ("form_per_s", "drain_s", "total_s", "service_cpu_ms_per_form")
        }
    return results


def table(results: dict[str, Any]) -> str:
    """Medians side by side (ranges over the rounds in brackets), each rate beside its ratio to
    the baseline's."""
    baseline = results[SETUPS[0][0]]
    count = results["submissions"]
    lines = [
        f"{count} submissions x {results['rounds']} rounds, {CONCURRENCY} clients,"
        f" {results['cores']} cores; medians [min-max]",
        f"{'set-up':<24}{'forms/s':>20}{'x base':>8}{'drain s':>20}{'total s':>20}"
        f"{'svc CPU ms':>11}{'pg CPU ms':>10}{'others':>8}  all cards/mails",
    ]

    def spread(figures: dict[str, Any], name: str, digits: int) -> str:
        low, high = figures["range"][name]
        return f"{figures[name]:.{digits}f} [{low:.{digits}f}-{high:.{digits}f}]"

    for key, label, *_ in SETUPS:
        figures = results[key]
        check = figures["check"]
        complete = all(n == count for n in check["cards"] + check["emails"]) and not any(
            check["failed_deliveries"]
        )
        lines.append(
            f"{label:<24}{spread(figures, 'form_per_s', 1):>20}"
            f"{figures['form_per_s'] / baseline['form_per_s']:>8.2f}"
            f"{spread(figures, 'drain_s', 2):>20}{spread(figures, 'total_s', 2):>20}"
            f"{figures['service_cpu_ms_per_form']:>11.2f}"
            f"{figures['postgres_cpu_ms_per_form']:>10.2f}"
            f"{figures['other_processes_cores']:>8.2f}"
            f"  {'yes' if complete else check}"
        )
    for key, label, *_ in SETUPS:
        for problem in results[key]["log_problems"][:5]:
            lines.append(f"{label}: {problem}")
    return "\n".join(lines)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else ROUNDS
    # Started outside the event loop: make_template runs a loop of its own.
    cluster = Cluster().start()
    try:
        cluster.make_template()
        results = asyncio.run(measure(count, rounds, cluster))
    finally:
        cluster.stop()
    publish("replicas", results)
    print(table(results))


if __name__ == "__main__":
    main()
