"""A server in a process of its own, as it runs in production: the load and the fakes stay in
the benchmark's process, so what a server costs is its own (CPU read from /proc) and nothing the
client does is counted against it.

The child: `python -m bench.child ours DIR [CLOCK_FROM]` runs the service on DIR (environment
as given; with CLOCK_FROM, an ISO instant, its clock starts there and runs at the wall clock's
pace), `python -m bench.child bare` a slack-bolt app that only acks `/hib2b`. Either prints
`READY <url>` once it listens and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web

READY = "READY "


class Child:
    """The parent's handle on a child server."""

    def __init__(self, process: asyncio.subprocess.Process, url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log
        self.spawned_to_ready_s = 0.0

    @classmethod
    async def start(cls, log: Path, *args: str, env: dict[str, str] | None = None) -> Child:
        spawned = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.child",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=log.open("ab"),
            env={**os.environ, **(env or {})},
        )
        assert process.stdout is not None
        try:
            async with asyncio.timeout(120):
                line = (await process.stdout.readline()).decode()
        except TimeoutError:
            line = ""
        if not line.startswith(READY):
            process.kill()
            await process.wait()
            raise RuntimeError(f"the child did not start; see {log}")
        child = cls(process, line[len(READY) :].strip(), log)
        child.spawned_to_ready_s = time.perf_counter() - spawned
        return child

    def cpu_s(self) -> float:
        """User + system CPU the child has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def _serve(app: web.Application) -> None:
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    print(f"{READY}http://127.0.0.1:{port}", flush=True)
    await stopping.wait()
    await runner.cleanup()


def _ours(data_dir: str, clock_from: str | None) -> web.Application:
    from bot.config import load_settings
    from bot.wiring import create_app

    settings = load_settings({**os.environ, "HIB2B_DATA_DIR": data_dir})
    if clock_from is None:
        return create_app(settings)
    began, start = time.monotonic(), datetime.fromisoformat(clock_from)

    def clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - began)

    return create_app(settings, clock)


async def _main(argv: list[str]) -> None:
    if argv[0] == "bare":
        from bench.bare import bare_app

        app = bare_app(os.environ["SLACK_API_URL"], os.environ["SLACK_SIGNING_SECRET"])
    else:
        app = _ours(argv[1], argv[2] if len(argv) > 2 else None)
    await _serve(app)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
