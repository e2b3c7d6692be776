"""`POST /api/v1/tickets`: the client's portal opens tickets directly. Documented in
`/api/v1/openapi.json`; errors are JSON bodies with a code, a Spanish message and, for bad
fields, one message per field."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from importlib import resources

from aiohttp import web

from bot.desk import Replayed
from bot.domain.form import FormValues, clean, validate
from bot.domain.terms import ticket_code
from handlers.keys import DESK
from handlers.upload import (
    Stalled,
    TooLarge,
    TooManyParts,
    limits_for,
    read_body,
    read_submission,
)
from handlers.web import client_address

log = logging.getLogger("hib2b.api")
MAX_JSON = 256 * 1024
MAX_IDEMPOTENCY_KEY = 200


def _error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> web.Response:
    body: dict = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return web.json_response(body, status=status)


async def create_ticket(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    settings = desk.settings
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    client_key = (
        await desk.intake.api_client(key.strip())
        if scheme.lower() == "bearer" and _printable(key)
        else None
    )
    if client_key is None:
        return _error(401, "unauthorized", "Falta la clave de API o no es válida.")
    idempotency = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency) > MAX_IDEMPOTENCY_KEY or not _printable(idempotency):
        return _error(400, "bad_request", "Idempotency-Key: hasta 200 caracteres ASCII visibles.")

    incoming_files: list = []
    if request.content_type == "application/json":
        if (request.content_length or 0) > MAX_JSON:
            return _error(413, "too_large", "El cuerpo JSON supera 256 KiB.")
        try:
            raw = await read_body(request, MAX_JSON, settings.body_timeout.total_seconds())
        except TooLarge:
            return _error(413, "too_large", "El cuerpo JSON supera 256 KiB.")
        except Stalled:
            return _error(408, "timeout", "El cuerpo no llegó completo a tiempo.")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting thousands deep
            return _error(400, "bad_request", "El cuerpo no es JSON válido.")
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            return _error(400, "bad_request", "Envíe un objeto JSON con campos de texto.")
        fields = data
        digest = hashlib.sha256(raw).hexdigest()
    elif request.content_type == "multipart/form-data":
        try:
            incoming = await read_submission(request, limits_for(settings))
        except TooManyParts:
            return _error(413, "too_many_parts", "El envío tiene demasiadas partes.")
        except TooLarge:
            return _error(413, "too_large", "El envío supera el tamaño permitido.")
        except Stalled:
            return _error(408, "timeout", "El envío no llegó completo a tiempo.")
        fields, incoming_files = incoming.fields, incoming.files
        hasher = hashlib.sha256(json.dumps(fields, sort_keys=True).encode())
        for file in incoming_files:
            hasher.update(file.data or b"")
        digest = hasher.hexdigest()
    else:
        return _error(
            415, "unsupported_media_type", "Envíe application/json o multipart/form-data."
        )

    values: FormValues = clean(fields)
    errors = validate(values)
    if errors:
        return _error(422, "invalid", "Revise los campos indicados.", errors)

    if idempotency:
        seen = await desk.intake.replayed(client_key, idempotency, digest)
        if seen is not None:  # a replay: answered before anything is written
            return await _replayed(request, seen)

    # Each request keeps its files under its own id, so a concurrent one never gets them.
    form_id = f"api:{client_key}:{uuid.uuid4().hex}"
    address = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies
    )
    problems = await desk.intake.keep(form_id, incoming_files, [], address)
    if problems:
        await desk.intake.drop(form_id)
        return _error(422, "invalid", "Revise los archivos.", {"adjuntos": " ".join(problems)})

    outcome = await desk.intake.submit_api(
        values, client_key, idempotency, digest, form_id, address
    )
    if isinstance(outcome, Replayed):
        return await _replayed(request, outcome)
    created = outcome
    log.info("%s created through the API by %s", ticket_code(created.number), client_key)
    return await _created(request, created.number, new=True)


def _printable(text: str) -> bool:
    """Header values as HTTP means them: visible ASCII (a byte outside it arrives as a lone
    surrogate, which neither SQLite nor a hash can take)."""
    return all(" " <= ch <= "~" for ch in text)


async def _replayed(request: web.Request, seen: Replayed) -> web.Response:
    if not seen.same:
        return _error(
            422, "idempotency_key_reused", "Esa Idempotency-Key ya se usó con otro contenido."
        )
    return await _created(request, seen.number, new=False)


async def _created(request: web.Request, number: int, new: bool) -> web.Response:
    desk = request.app[DESK]
    created_at = await desk.intake.created_at(number)
    body = {"ticket": ticket_code(number), "numero": number, "creado": created_at, "nuevo": new}
    return web.json_response(
        body, status=201, headers={"Location": f"/api/v1/tickets/{ticket_code(number)}"}
    )


async def openapi(request: web.Request) -> web.Response:
    spec = resources.files("handlers").joinpath("static/openapi.json").read_text("utf-8")
    return web.Response(text=spec, content_type="application/json")


def register(app: web.Application) -> None:
    app.router.add_post("/api/v1/tickets", create_ticket)
    app.router.add_get("/api/v1/openapi.json", openapi)
