"""The supplier's web pages: the form (`/soporte`, `/soporte.php`), the thank-you page, the
privacy notice; and `/healthz` for operators."""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import MIB, Network
from bot.desk import STORAGE_ERRNOS, Desk, StorageUnavailable, UploadsFull
from bot.domain.form import MAX_DESCRIPCION, FormValues, clean, validate
from bot.domain.terms import INCIDENT_TYPES, ticket_code
from bot.domain.text import is_number, normal_host
from bot.domain.tokens import new_form_id
from handlers import error_pages
from handlers.keys import DESK
from handlers.ratelimit import RateLimiter
from handlers.upload import Stalled, TooLarge, TooManyParts, limits_for, read_submission
from store.models import Client, StoredFile

log = logging.getLogger("hib2b.web")

LIMITER = web.AppKey("limiter", RateLimiter)
FORM_MAX_AGE = timedelta(hours=24)
THANKS_MAX_AGE = timedelta(days=90)
STORAGE_TROUBLE = (
    "No pudimos registrar su reporte en este momento. No se guardó nada: "
    "espere unos minutos e intente de nuevo, o escriba a nuestro correo de soporte."
)
ESTADO, ESTADO_MAX_AGE = "estado", timedelta(minutes=1)
LABELS = {
    "descripcion": "Descripción del Incidente",
    "usuario": "Usuario, RFC o Razón Social",
    "correo": "Correo Contacto",
    "liga_portal": "Liga Portal",
    "tipo": "Tipo de Incidente",
    "adjuntos": "Documentos Adjuntos",
    "form_token": "Formulario",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _filesize(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


_pages = jinja2.Environment(
    loader=jinja2.PackageLoader("handlers", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_pages.filters["filesize"] = _filesize


def client_address(
    remote: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str:
    """The submitter's address. `X-Forwarded-For` counts only when it came from our proxy,
    read right to left past our own proxies so a client cannot forge its way in."""
    address = remote or ""
    if not forwarded_for or not _is_trusted(address, trusted):
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",") if _is_ip(hop.strip())]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else address


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


@dataclass(frozen=True)
class FormClient:
    """Whose portal the form was opened from."""

    client: Client | None
    triage: bool  # a client was named (path or host) but is not known
    portal: str  # the portal link, to prefill “Liga Portal”


async def form_client(request: web.Request) -> FormClient:
    """By `/soporte/<clave>`, else by the host name the supplier used (behind our proxy,
    `X-Forwarded-Host`, which counts only from `HIB2B_TRUSTED_PROXIES`)."""
    desk = request.app[DESK]
    settings = desk.settings
    key = request.match_info.get("clave")
    if key is not None:
        client = await desk.intake.client_named(key)
        host = client.hosts[0] if client and client.hosts else ""
        return FormClient(client, client is None, f"https://{host}" if host else "")
    host = request.host
    forwarded = request.headers.get("X-Forwarded-Host")
    if forwarded and _is_trusted(request.remote or "", settings.trusted_proxies):
        host = forwarded.split(",")[0]
    host = normal_host(host)
    client = await desk.intake.client_at(host)
    if client is not None:
        return FormClient(client, False, f"https://{host}")
    own = normal_host(urlsplit(settings.public_url).netloc)
    portal_like = host != own and host.count(".") >= 2 and not _is_ip(host)
    return FormClient(None, portal_like, "")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def render_page(
    request: web.Request, template: str, status: int = 200, **values: Any
) -> web.Response:
    desk = request.app[DESK]
    page = _pages.get_template(template).render(
        privacy_url=desk.settings.privacy_url,
        support_address=desk.settings.support_address,
        form_url="/soporte",
        **values,
    )
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


def message_page(
    request: web.Request,
    status: int,
    heading: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> web.Response:
    response = render_page(request, "mensaje.html", status, heading=heading, text=text)
    response.headers.update(headers or {})
    return response


async def _form_page(
    request: web.Request,
    form_id: str,
    values: FormValues,
    errors: dict[str, str],
    kept: list[StoredFile],
    status: int = 200,
) -> web.Response:
    desk = request.app[DESK]
    settings = desk.settings
    origin = await form_client(request)
    if not values.liga_portal and origin.portal and not errors:
        values = replace(values, liga_portal=origin.portal)
    response = render_page(
        request,
        "soporte.html",
        status,
        action=request.path,
        client_name=origin.client.name if origin.client else "",
        values=values,
        errors=errors,
        labels=LABELS,
        kept=kept,
        incident_types=INCIDENT_TYPES,
        max_descripcion=MAX_DESCRIPCION,
        form_token=desk.signer.sign("form", form_id, desk.now()),
        max_files=settings.max_files,
        max_file_mb=settings.max_file_bytes // MIB,
        max_total_mb=settings.max_total_bytes // MIB,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def show_form(request: web.Request) -> web.Response:
    return await _form_page(request, new_form_id(), FormValues(), {}, [])


def rate_limited(request: web.Request) -> tuple[str, web.Response | None]:
    """The sender's address, and the 429 page when it sent more than the form's limit a
    minute allows (every page that takes a supplier's upload shares that limit)."""
    settings = request.app[DESK].settings
    address = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), settings.trusted_proxies
    )
    wait = request.app[LIMITER].hit(address)
    if not wait:
        return address, None
    return address, message_page(
        request,
        429,
        "Demasiadas solicitudes",
        "Recibimos demasiadas solicitudes desde su conexión. Espere un minuto e intente de nuevo.",
        {"Retry-After": str(int(wait) + 1)},
    )


async def submit_form(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    settings = desk.settings
    address, refusal = rate_limited(request)
    if refusal is not None:
        return refusal
    try:
        incoming = await read_submission(request, limits_for(settings))
    except TooManyParts:
        return message_page(
            request,
            413,
            "Envío no válido",
            "El envío tiene demasiadas partes. Vuelva al formulario y envíelo de nuevo.",
        )
    except Stalled:
        return message_page(
            request,
            408,
            "El envío tardó demasiado",
            "No recibimos su envío completo a tiempo. Revise su conexión e intente de nuevo.",
        )
    except TooLarge:
        return message_page(
            request,
            413,
            "Archivos demasiado grandes",
            f"El envío supera el tamaño permitido ({settings.max_total_bytes // MIB} MB en total). "
            "Vuelva al formulario y adjunte menos archivos o archivos más pequeños.",
        )
    if incoming.fields.get("sitio_web", "").strip():
        raise web.HTTPBadRequest()  # a bot filled the hidden field: the usual 400 page
    token = incoming.fields.get("form_token", "")
    now = desk.now()
    form_id = desk.signer.verify("form", token, now, FORM_MAX_AGE)
    values = clean(incoming.fields)
    if form_id is None:
        expired_id = desk.signer.verify("form", token, now, timedelta(days=3650))
        if expired_id is None:
            return web.Response(status=403, text="Formulario no válido. Abra /soporte de nuevo.")
        # A tab left open too long: nothing the supplier typed is lost; one more click sends it.
        kept = await desk.intake.kept(expired_id)
        return await _form_page(
            request,
            expired_id,
            values,
            {"form_token": "El formulario caducó. Revise sus datos y envíelo de nuevo."},
            kept,
            status=422,
        )

    existing = await desk.intake.ticket_of_form(form_id)
    if existing is not None:
        raise web.HTTPSeeOther(_thanks_url(desk, existing))

    errors = validate(values)
    drop = [int(v) for v in incoming.lists.get("quitar", []) if is_number(v)]
    if drop:
        await desk.intake.drop(form_id, drop)
    kept = await desk.intake.kept(form_id)
    problems = await desk.intake.keep(form_id, incoming.files, kept, address)
    if problems:
        errors["adjuntos"] = "\n".join(problems)
    if errors:
        kept = await desk.intake.kept(form_id)
        return await _form_page(request, form_id, values, errors, kept, status=422)

    origin = await form_client(request)
    client = origin.client
    created = await desk.intake.submit(values, client, form_id, address, origin.triage)
    if created.new:
        log.info("%s created from the form (%s)", ticket_code(created.number), address)
    raise web.HTTPSeeOther(_thanks_url(desk, created.number))


def _thanks_url(desk: Desk, number: int) -> str:
    return "/soporte/gracias?t=" + desk.signer.sign("gracias", str(number), desk.now())


async def thanks(request: web.Request) -> web.Response:
    desk = request.app[DESK]
    payload = desk.signer.verify("gracias", request.query.get("t", ""), desk.now(), THANKS_MAX_AGE)
    if payload is None or not is_number(payload):
        return message_page(
            request,
            404,
            "Enlace no válido",
            "Este enlace de confirmación no es válido o ya caducó. "
            "Su número de ticket también le llegó por correo.",
        )
    return render_page(request, "gracias.html", code=ticket_code(int(payload)))


async def privacy(request: web.Request) -> web.Response:
    return render_page(request, "privacidad.html")


async def stylesheet(request: web.Request) -> web.Response:
    css = resources.files("handlers").joinpath("static/soporte.css").read_text("utf-8")
    return web.Response(
        text=css, content_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


async def health(request: web.Request) -> web.Response:
    """Public: states, counts and ages only (error texts may name people)."""
    body = await request.app[DESK].health()
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def ready(request: web.Request) -> web.Response:
    is_ready = await request.app[DESK].ready()
    return web.json_response(
        {"ready": is_ready}, status=200 if is_ready else 503, headers={"Cache-Control": "no-store"}
    )


async def details(request: web.Request) -> web.Response:
    """For `hib2b estado` on the server: it signs with the desk's own secret key."""
    desk = request.app[DESK]
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    if desk.signer.verify(ESTADO, token, desk.now(), ESTADO_MAX_AGE) is None:
        return web.json_response({"error": "unauthorized"}, status=401)
    return web.json_response(await desk.health_details())


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/soporte")


@web.middleware
async def storage_trouble(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A full disk, a database that cannot be written or the upload quota: a Spanish 503
    (JSON on the API) asking to try again, never a traceback; nothing was half-stored."""
    desk = request.app[DESK]
    try:
        return await handler(request)
    except UploadsFull:
        text = (
            "Estamos recibiendo muchos archivos en este momento. "
            "Espere unos minutos e intente de nuevo."
        )
    except StorageUnavailable:
        text = STORAGE_TROUBLE
    except OSError as error:
        if error.errno not in STORAGE_ERRNOS:
            raise
        desk.disk_failed(error)
        log.error("cannot store an upload: %s", error)
        text = STORAGE_TROUBLE
    headers = {"Retry-After": "120"}
    if request.path.startswith("/api/"):
        return web.json_response(
            {"error": {"code": "unavailable", "message": text}}, status=503, headers=headers
        )
    return message_page(request, 503, "Intente más tarde", text, headers)


def register(app: web.Application) -> None:
    settings = app[DESK].settings
    app[LIMITER] = RateLimiter(settings.form_rate_limit, 60.0, time.monotonic)
    app.middlewares.append(storage_trouble)
    app.middlewares.append(error_pages.middleware(message_page))
    # `gracias` first: it is a reserved word where a client key would stand.
    app.router.add_get("/soporte/gracias", thanks)
    for path in ("/soporte", "/soporte.php", "/soporte/{clave}", "/soporte/{clave}/soporte.php"):
        app.router.add_get(path, show_form)
        app.router.add_post(path, submit_form)
    app.router.add_get("/privacidad", privacy)
    app.router.add_get("/static/soporte.css", stylesheet)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/estado", details)
    app.router.add_get("/", home)
