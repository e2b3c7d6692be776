"""The supplier's pages answer errors in Spanish, in the form's style: an address that does
not exist, a method the page does not take, a request the browser sent broken. The API, Slack's
endpoint and the operators' routes keep their own answers (JSON, plain text)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

# Routes that are not pages for people: their errors are answered as they are.
NOT_PAGES = ("/api/", "/slack/", "/metrics", "/healthz", "/readyz", "/estado")
PAGES = {
    400: (
        "Solicitud no válida",
        "No pudimos leer lo que envió su navegador. Vuelva al formulario e intente de nuevo.",
    ),
    404: (
        "Página no encontrada",
        "La dirección que abrió no existe o ya no está disponible. Si necesita ayuda con el "
        "portal, use el formulario de ayuda.",
    ),
    405: (
        "Acción no disponible",
        "Esta página no acepta esa acción. Vuelva al formulario de ayuda e intente de nuevo.",
    ),
    415: (
        "Formato de envío no admitido",
        "Su navegador envió el formulario en un formato que no podemos leer. Intente de nuevo "
        "desde el formulario de ayuda.",
    ),
}
Page = Callable[..., web.Response]


def middleware(page: Page) -> Middleware:
    """`page(request, status, heading, text, headers)` draws the form-style message page."""

    @web.middleware
    async def spanish_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as error:
            known = PAGES.get(error.status)
            if known is None or request.path.startswith(NOT_PAGES):
                raise
            headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
            return page(request, error.status, *known, headers)

    return spanish_errors
