"""Reading a form submission off the wire, with the upload limits counted as the bytes arrive.

aiohttp's `client_max_size` does not apply to streamed multipart reads, so the bytes are counted
here: a file over its limit is drained and reported, never kept whole in memory. Parts are
counted as they arrive (a body of thousands of tiny parts is refused at `HIB2B_MAX_PARTS`, not
after it has cost the event loop seconds), and every read must make progress within
`HIB2B_BODY_TIMEOUT`: a client that stalls is dropped, not kept open.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.config import MIB, Settings
from bot.domain.attachments import IncomingFile

CHUNK = 64 * 1024
MAX_TEXT_FIELD = 256 * 1024  # bytes; descripcion's 10,000 characters fit many times over


class TooLarge(Exception):
    """The body is beyond any acceptable size: answered 413 without reading the rest."""


class TooManyParts(TooLarge):
    """More parts than any form of ours has: answered 413 without reading the rest."""


class Stalled(Exception):
    """The client sent nothing for `HIB2B_BODY_TIMEOUT`: answered 408."""


@dataclass
class Incoming:
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    max_file: int
    max_total: int
    hard_cap: int  # the whole body
    max_parts: int = 40
    stall_s: float = 60.0  # longest wait for the next bytes


def limits_for(settings: Settings) -> Limits:
    """The upload limits of the settings; beyond `hard_cap` the body is not read at all."""
    return Limits(
        max_file=settings.max_file_bytes,
        max_total=settings.max_total_bytes,
        hard_cap=settings.max_files * settings.max_file_bytes + 4 * MIB,
        max_parts=settings.max_parts,
        stall_s=settings.body_timeout.total_seconds(),
    )


async def read_submission(request: web.Request, limits: Limits) -> Incoming:
    incoming = Incoming()
    try:
        if request.content_type == "multipart/form-data":
            await _read_multipart(request, limits, incoming)
        elif request.content_type == "application/x-www-form-urlencoded":
            async with asyncio.timeout(limits.stall_s):
                data = await request.post()
            for name, value in data.items():
                if isinstance(value, str):
                    _add_field(incoming, name, value)
        else:
            raise web.HTTPUnsupportedMediaType(text="Formato de envío no admitido.")
    except TimeoutError:
        raise Stalled from None
    except (ValueError, LookupError, HttpProcessingError):
        # A broken body (no boundary, bad or NUL-laden part headers, a charset nobody knows):
        # the client's fault, answered 400 rather than a traceback.
        raise web.HTTPBadRequest(text="Formato de envío no válido.") from None
    return incoming


async def read_body(request: web.Request, limit: int, stall_s: float) -> bytes:
    """The whole body, at most `limit` bytes (TooLarge beyond), each read within `stall_s`."""
    body = bytearray()
    try:
        while True:
            async with asyncio.timeout(stall_s):
                chunk = await request.content.read(CHUNK)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise TooLarge
    except TimeoutError:
        raise Stalled from None


def _add_field(incoming: Incoming, name: str, value: str) -> None:
    incoming.lists.setdefault(name, []).append(value)
    incoming.fields.setdefault(name, value)


async def _read_multipart(request: web.Request, limits: Limits, incoming: Incoming) -> None:
    reader = await request.multipart()
    received = 0
    kept_total = 0
    parts = 0

    async def next_chunk(part: BodyPartReader) -> bytes:
        async with asyncio.timeout(limits.stall_s):
            return await part.read_chunk(CHUNK)

    while True:
        async with asyncio.timeout(limits.stall_s):
            part = await reader.next()
        if part is None:
            break
        parts += 1
        if parts > limits.max_parts:
            raise TooManyParts
        if not isinstance(part, BodyPartReader):
            raise web.HTTPBadRequest(text="Formato de envío no admitido.")
        if part.filename is None:
            data = bytearray()
            while chunk := await next_chunk(part):
                received += len(chunk)
                data += chunk
                if len(data) > MAX_TEXT_FIELD or received > limits.hard_cap:
                    raise TooLarge
            _add_field(incoming, part.name or "", data.decode("utf-8", errors="replace"))
            continue
        buffer: bytearray | None = bytearray()
        size = 0
        while chunk := await next_chunk(part):
            received += len(chunk)
            size += len(chunk)
            if received > limits.hard_cap:
                raise TooLarge
            if buffer is not None:
                buffer += chunk
                if size > limits.max_file or kept_total + size > limits.max_total:
                    buffer = None  # drain the rest, keep nothing
        if part.name != "adjuntos" or (not part.filename and size == 0):
            continue  # an empty file input sends a nameless empty part
        if buffer is None:
            problem = "file" if size > limits.max_file else "total"
            incoming.files.append(IncomingFile(part.filename, None, size, problem))
        else:
            kept_total += size
            incoming.files.append(IncomingFile(part.filename, bytes(buffer), size))
