"""The child process that reads CFDIs (`python -m bot.cfdi.worker`).

Requests come on standard input: one JSON line `{"size": n, "now": iso}`, then n bytes of XML.
Each answer is one JSON line on standard output: `{"reading": <Reading JSON or null>,
"ending": <true when this child stops after answering>}`.
The address space is capped and the priority lowered before anything is parsed, so a hostile
XML can neither take the machine's memory nor its cores from the service. A read that fails is
answered as unchecked with its reason (and its traceback goes to standard error, the service's
log); after running out of memory the child answers and ends, and the parent starts a new one."""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from datetime import datetime
from typing import BinaryIO

MEMORY_ENV = "HIB2B_CFDI_WORKER_MB"
DEFAULT_MEMORY_MB = 1024
OUT_OF_MEMORY = "no cupo en la memoria permitida"


def _confine() -> None:
    limit = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(10)


def serve(incoming: BinaryIO, outgoing: BinaryIO) -> None:
    from bot.cfdi.read import read  # imported after the cap: satcfdi's import counts too
    from bot.domain.cfdi import unchecked

    while header := incoming.readline():
        request = json.loads(header)
        data = incoming.read(request["size"])
        now = datetime.fromisoformat(request["now"])
        spent = False
        try:
            found = read(data, now)
        except MemoryError:
            found, spent = unchecked(OUT_OF_MEMORY, now), True
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            found = unchecked(f"la lectura falló: {type(error).__name__}", now)
        answer = {"reading": found.to_json() if found is not None else None, "ending": spent}
        outgoing.write(json.dumps(answer).encode() + b"\n")
        outgoing.flush()
        if spent:
            return  # a heap that ran out is not trusted with the next invoice


if __name__ == "__main__":
    _confine()
    serve(sys.stdin.buffer, sys.stdout.buffer)
