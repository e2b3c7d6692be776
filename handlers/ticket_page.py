"""The supplier's ticket page: `GET /soporte/ticket?t=…` shows it, `POST` adds a comment with
files (the form's limits and file policy, read by the same guarded reader), then redirects to
the page (a refresh does not send it twice; the page's nonce makes a resent POST count once).
The signed token is the only key: a ticket number alone shows nothing."""

from __future__ import annotations

from aiohttp import web

from bot.config import MIB
from bot.desk import Refused
from bot.domain.tokens import new_form_id
from handlers.keys import DESK
from handlers.upload import Stalled, TooLarge, limits_for, read_submission
from handlers.web import message_page, rate_limited, render_page

ROUTE = "/soporte/ticket"


def _bad_link(request: web.Request, text: str) -> web.Response:
    return message_page(request, 404, "Enlace no válido", text)


async def _show(
    request: web.Request,
    token: str,
    status: int = 200,
    errors: list[str] | None = None,
    comment: str = "",
    added: bool = False,
) -> web.Response:
    desk = request.app[DESK]
    try:
        page = await desk.ticket_page(token)
    except Refused as refusal:
        return _bad_link(request, refusal.message)
    settings = desk.settings
    return _no_store(
        render_page(
            request,
            "ticket.html",
            status,
            page=page,
            token=token,
            nonce=new_form_id(),
            errors=errors or [],
            comment=comment,
            added=added,
            max_comment=desk.TICKET_COMMENT_MAX,
            max_files=settings.max_files,
            max_file_mb=settings.max_file_bytes // MIB,
        )
    )


async def ticket_page(request: web.Request) -> web.Response:
    return await _show(request, request.query.get("t", ""), added="agregado" in request.query)


async def add_comment(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    settings = desk.settings
    # The form's own limit per address: a ticket's link must not let anyone flood the
    # thread or fill the disk.
    _, refusal = rate_limited(request)
    if refusal is not None:
        return refusal
    # The token rides in the address too: a request without a valid one is refused before
    # its body is read.
    token = request.query.get("t", "")
    try:
        await desk.ticket_page(token)
    except Refused as refusal:
        return _bad_link(request, refusal.message)
    try:
        incoming = await read_submission(request, limits_for(settings))
    except (TooLarge, Stalled):
        return message_page(
            request,
            413,
            "Envío no válido",
            "El envío es demasiado grande o tardó demasiado. Vuelva a la página de su ticket e "
            "intente con archivos más pequeños.",
        )
    text = incoming.fields.get("comentario", "")
    nonce = incoming.fields.get("envio", "")
    try:
        problems = await desk.comment_on_ticket(token, text, incoming.files, nonce)
    except Refused as refusal:
        return await _show(request, token, 422, [refusal.message], text)
    if problems:
        return await _show(request, token, 422, problems, text)
    raise web.HTTPSeeOther(f"{ROUTE}?t={token}&agregado=1")


def _no_store(response: web.Response) -> web.Response:
    # The page holds the supplier's words and a one-time nonce: never from a cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: web.Application) -> None:
    app.router.add_get(ROUTE, ticket_page)
    app.router.add_post(ROUTE, add_comment)
