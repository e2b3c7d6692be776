"""Reading CFDIs off the event loop, bounded in time and memory: a few child processes
(`bot.cfdi.worker`) started when the first XML arrives, each capped in address space. A read
that takes longer than its limit, or a child that dies (memory), kills that child and answers
«El XML no se pudo leer: …»; the next read starts a fresh one. A cancelled read kills its child
too (its pipe would be mid-request), so a cancel is never swallowed and no child is shared
half-used."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.cfdi.worker import MEMORY_ENV
from bot.domain.cfdi import Reading, unreadable

ROOT = Path(__file__).resolve().parents[2]  # where `bot` is importable from
LINE_LIMIT = 1 << 20


class _Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, data: bytes, now: datetime) -> Reading | None:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps({"size": len(data), "now": now.isoformat()}).encode() + b"\n")
        stdin.write(data)
        await stdin.drain()
        line = await stdout.readline()
        if not line:
            raise EOFError("the reader process ended")
        found = json.loads(line)["reading"]
        return Reading.from_json(found) if found is not None else None

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


class InvoiceReader:
    def __init__(self, workers: int = 2, timeout_s: float = 10.0, memory_mb: int = 1024) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._slots = asyncio.Semaphore(workers)
        self._idle: list[_Child] = []
        self._children: set[_Child] = set()
        self._closed = False

    async def _spawn(self) -> _Child:
        environment = dict(os.environ)
        environment[MEMORY_ENV] = str(self.memory_mb)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), environment.get("PYTHONPATH", "")])
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cfdi.worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=environment,
            limit=LINE_LIMIT,
        )
        child = _Child(process)
        self._children.add(child)
        return child

    async def _discard(self, child: _Child) -> None:
        """Kill a child whose pipe cannot be trusted any more, and reap it (its transport
        closes with it)."""
        child.kill()
        self._children.discard(child)
        await child.process.wait()

    async def read(self, data: bytes, now: datetime) -> Reading | None:
        """The CFDI in `data` (None: some other XML); what could not be read in time or within
        memory comes back as an unreadable `Reading`."""
        if self._closed:
            raise RuntimeError("the CFDI reader is closed")
        async with self._slots:
            child = self._idle.pop() if self._idle else await self._spawn()
            healthy = False
            try:
                async with asyncio.timeout(self.timeout_s):
                    found = await child.ask(data, now)
                healthy = True
                return found
            except TimeoutError:
                return unreadable(f"su lectura pasó de {self.timeout_s:g} s y se detuvo", now)
            except (EOFError, ConnectionError, json.JSONDecodeError):
                return unreadable("su lectura agotó la memoria permitida", now)
            finally:
                if healthy and not self._closed:
                    self._idle.append(child)
                else:
                    await self._discard(child)

    async def close(self) -> None:
        """Ends every child (politely: end of input; then killed) and waits for them."""
        self._closed = True
        children, self._children, self._idle = list(self._children), set(), []
        for child in children:
            if child.process.stdin is not None and not child.process.stdin.is_closing():
                child.process.stdin.close()
        for child in children:
            try:
                async with asyncio.timeout(2):
                    await child.process.wait()
            except TimeoutError:
                child.kill()
                await child.process.wait()
