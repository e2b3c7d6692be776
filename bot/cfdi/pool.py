"""Reading CFDIs off the event loop, bounded in time and memory: a few child processes
(`bot.cfdi.worker`) started when the first XML arrives, each capped in address space and run at
a lower priority. A read that takes longer than its limit, or a child that dies, kills that
child and answers «no se pudo revisar»; the next read starts a fresh one. Waiting for a child is
bounded too, in time and in how many wait. A cancelled read kills its child (its pipe would be
mid-request), so a cancel is never swallowed and no child is shared half-used."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from bot.cfdi.worker import MEMORY_ENV
from bot.domain.cfdi import Reading, unchecked

log = logging.getLogger("hib2b.cfdi")
ROOT = Path(__file__).resolve().parents[2]  # where `bot` is importable from
LINE_LIMIT = 1 << 20
MAX_WAITING = 16  # reads waiting for a child; more are answered at once as not checked
BUSY = "el lector de facturas estaba ocupado"
PASSED_ON = frozenset({"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "SYSTEMROOT"})


class _Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def ask(self, data: bytes, now: datetime) -> tuple[Reading | None, bool]:
        """The child's reading, and whether it is ending after it (it ran out of memory)."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        stdin.write(json.dumps({"size": len(data), "now": now.isoformat()}).encode() + b"\n")
        stdin.write(data)
        await stdin.drain()
        line = await stdout.readline()
        if not line:
            raise EOFError("the reader process ended")
        answer = json.loads(line)
        found = answer["reading"]
        return (Reading.from_json(found) if found is not None else None), bool(answer["ending"])

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


class InvoiceReader:
    def __init__(self, workers: int = 2, timeout_s: float = 10.0, memory_mb: int = 1024) -> None:
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._slots = asyncio.Semaphore(workers)
        self._waiting = 0
        self._idle: list[_Child] = []
        self._children: set[_Child] = set()
        self._closed = False

    async def _spawn(self) -> _Child:
        # The child parses hostile bytes: it gets none of the service's secrets.
        environment = {key: value for key, value in os.environ.items() if key in PASSED_ON}
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

    async def _take(self) -> _Child:
        while self._idle:
            child = self._idle.pop()
            if child.process.returncode is None:
                return child
            await self._discard(child)  # it ended while idle (after running out of memory)
        return await self._spawn()

    async def read(self, data: bytes, now: datetime) -> Reading | None:
        """The CFDI in `data` (None: some other XML). What we could not check — too slow, out
        of memory, the reader busy or stopping — comes back as an unchecked `Reading`: the
        technician is told, the supplier is not blamed."""
        if self._closed:
            return unchecked("el servicio se está deteniendo", now)
        if self._waiting >= MAX_WAITING:
            return unchecked(BUSY, now)  # a flood of XML is not held in memory in a queue
        self._waiting += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            return unchecked(BUSY, now)
        finally:
            self._waiting -= 1
        try:
            return await self._read(data, now)
        finally:
            self._slots.release()

    async def _read(self, data: bytes, now: datetime) -> Reading | None:
        child = await self._take()
        healthy = False
        try:
            async with asyncio.timeout(self.timeout_s):
                found, ending = await child.ask(data, now)
            healthy = not ending
            return found
        except TimeoutError:
            return unchecked(f"su lectura pasó de {self.timeout_s:g} s y se detuvo", now)
        except (EOFError, ConnectionError, ValueError):
            # ValueError: an answer over the pipe's line limit, or not JSON.
            log.exception("the CFDI reader process failed")
            return unchecked("el proceso lector terminó sin responder", now)
        finally:
            if healthy and not self._closed:
                self._idle.append(child)
            else:
                await self._discard(child)

    async def close(self) -> None:
        """Ends every child — idle ones politely (end of input), busy ones killed — and waits
        for them all at once."""
        self._closed = True
        idle = set(self._idle)
        children, self._children, self._idle = list(self._children), set(), []
        for child in children:
            if child in idle and child.process.stdin is not None:
                child.process.stdin.close()
            else:
                child.kill()

        async def ended(child: _Child) -> None:
            try:
                async with asyncio.timeout(2):
                    await child.process.wait()
            except TimeoutError:
                child.kill()
                await child.process.wait()

        await asyncio.gather(*(ended(child) for child in children))
