"""The supplier rates the help from the closing email's links: `GET /soporte/calificar?t=…&v=N`
shows the choice to confirm (with a comment box); `POST` records it. A link scanner that
follows every link of an email (Outlook's Safe Links does) only sees the page: nothing is
recorded until a person presses the button."""

from __future__ import annotations

from aiohttp import web

from bot.desk import Refused
from bot.domain.supplier import MAX_COMMENT
from bot.domain.terms import ticket_code
from bot.domain.text import is_number
from handlers.keys import DESK
from handlers.web import message_page, render_page

ROUTE = "/soporte/calificar"


def _bad_link(request: web.Request, text: str) -> web.Response:
    return message_page(request, 404, "Enlace no válido", text)


async def rating_page(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    token = request.query.get("t", "")
    try:
        number = desk.rating_ticket(token)
    except Refused as refusal:
        return _bad_link(request, refusal.message)
    chosen = request.query.get("v", "")
    value = int(chosen) if chosen in ("1", "2", "3", "4", "5") else 0
    return render_page(
        request,
        "calificar.html",
        code=ticket_code(number),
        token=token,
        value=value,
        comment="",
        max_comment=MAX_COMMENT,
        error="",
    )


async def rate(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    form = await request.post()
    token, chosen = str(form.get("t", "")), str(form.get("v", ""))
    comment = str(form.get("comentario", ""))[:MAX_COMMENT]
    try:
        number = desk.rating_ticket(token)
    except Refused as refusal:
        return _bad_link(request, refusal.message)
    if not is_number(chosen, 1):
        return render_page(
            request,
            "calificar.html",
            422,
            code=ticket_code(number),
            token=token,
            value=0,
            comment=comment,
            max_comment=MAX_COMMENT,
            error="Elija una calificación de 1 a 5.",
        )
    try:
        number, changeable = await desk.rate(token, int(chosen), comment)
    except Refused as refusal:
        return message_page(request, 422, "No se registró la calificación", refusal.message)
    return render_page(
        request,
        "calificado.html",
        code=ticket_code(number),
        value=int(chosen),
        changeable=changeable,
    )


def register(app: web.Application) -> None:
    app.router.add_get(ROUTE, rating_page)
    app.router.add_post(ROUTE, rate)
