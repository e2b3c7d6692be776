"""The child process that reads CFDIs (`python -m bot.cfdi.worker`).

Requests come on standard input: one JSON line `{"size": n, "now": iso}`, then n bytes of XML.
Each answer is one JSON line on standard output: `{"reading": <Reading JSON or null>}`.
The address space is capped before anything is parsed, so a hostile XML that would take all
memory ends in MemoryError here (answered) or in this process's death (the parent answers for
it); either way the service does not feel it."""

from __future__ import annotations

import json
import os
import resource
import sys
from datetime import datetime

MEMORY_ENV = "HIB2B_CFDI_WORKER_MB"
DEFAULT_MEMORY_MB = 1024


def _cap_memory() -> None:
    limit = int(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_MB)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def serve(source: object, sink: object) -> None:
    from lxml import etree

    from bot.cfdi.read import TOO_BIG, read  # imported after the cap: satcfdi's counts too
    from bot.domain.cfdi import unreadable

    incoming, outgoing = source.buffer, sink.buffer  # type: ignore[attr-defined]
    while header := incoming.readline():
        request = json.loads(header)
        data = incoming.read(request["size"])
        now = datetime.fromisoformat(request["now"])
        try:
            found = read(data, now)
        except (MemoryError, etree.Error):
            # libxml2 reports a failed allocation as its own error, not MemoryError
            found = unreadable(TOO_BIG, now)
        answer = {"reading": found.to_json() if found is not None else None}
        outgoing.write(json.dumps(answer).encode() + b"\n")
        outgoing.flush()


if __name__ == "__main__":
    _cap_memory()
    serve(sys.stdin, sys.stdout)
