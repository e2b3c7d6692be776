"""Client companies: who they are, whether their support is current, their plan, their API keys.
Leads manage them from Slack, operators from the command line; every change is audited."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.cases.plans import PLAN_KEYS, Policies
from bot.domain.change import Actor, Refused
from bot.domain.rfc import read as read_rfc
from bot.domain.terms import SUSPENDIDO, VIGENTE
from bot.domain.text import normal_host, slack_escape
from store import clients as store
from store import tickets as ticket_store
from store.db import Database
from store.models import Client

RESERVED = frozenset({"gracias", "calificar", "ticket", "privacidad", "api", "static", "soporte"})
_KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+")
API_KEY_PREFIX = "hib2b_"


def check_key(key: str) -> str:
    key = key.strip().lower()
    if not _KEY.fullmatch(key):
        raise Refused(
            "La clave del cliente es el subdominio de su portal: letras, números y "
            "guiones (por ejemplo `acme`)."
        )
    if key in RESERVED:
        raise Refused(f"«{key}» es una palabra reservada; elija otra clave.")
    return key


@asynccontextmanager
async def _client_to_change(
    db: Database, key: str
) -> AsyncIterator[tuple[aiosqlite.Connection, Client]]:
    """The client named `key`, in the transaction that changes it (and audits the change)."""
    async with db.transaction() as conn:
        client = await store.client_in(conn, key.strip().lower())
        if client is None:
            raise Refused(f"No existe el cliente `{key}`.")
        yield conn, client


def _lead(actor: Actor) -> None:
    if not actor.is_lead:
        raise Refused("Solo un líder puede administrar clientes.")


async def add(
    db: Database,
    actor: Actor,
    key: str,
    name: str,
    hosts: list[str],
    now: datetime,
    status: str = VIGENTE,
    rfc_words: list[str] | None = None,
) -> str:
    _lead(actor)
    key = check_key(key)
    rfcs = read_rfcs(rfc_words or [])
    name = " ".join(name.split())
    if not name:
        raise Refused("Indique el nombre del cliente: `cliente alta clave host Nombre…`.")
    clean = [normal_host(h) for h in hosts if h.strip()]
    for host in clean:
        if not _HOST.fullmatch(host):
            raise Refused(f"«{host}» no es un nombre de host, por ejemplo acme.portalhib2b.com.")
    if status not in (VIGENTE, SUSPENDIDO):
        raise Refused("El estado es `vigente` o `suspendido`.")
    async with db.transaction() as conn:
        if await store.client_in(conn, key):
            raise Refused(f"Ya existe el cliente `{key}`.")
        for host in clean:
            owner = await store.host_owner(conn, host)
            if owner:
                raise Refused(f"El host {host} ya es del cliente `{owner}`.")
        await store.insert_client(conn, key, name, clean, status, actor.user_id, now)
        if rfcs:
            await store.set_rfcs(conn, key, rfcs)
        await ticket_store.add_audit(
            conn,
            None,
            now,
            actor.user_id,
            "cliente_alta",
            {"cliente": key, "nombre": name, "hosts": clean, "estado": status, "rfc": rfcs},
        )
    return f"Cliente `{key}` ({name}) dado de alta."


async def set_status(db: Database, actor: Actor, key: str, status: str, now: datetime) -> str:
    _lead(actor)
    async with _client_to_change(db, key) as (conn, client):
        if client.status == status:
            return f"El soporte de `{client.key}` ya está {status}."
        await store.set_status(conn, client.key, status, actor.user_id, now)
        await ticket_store.add_audit(
            conn,
            None,
            now,
            actor.user_id,
            "cliente_estado",
            {"cliente": client.key, "de": client.status, "a": status},
        )
    return f"El soporte de `{client.key}` ({slack_escape(client.name)}) queda {status}."


async def set_plan(
    db: Database, policies: Policies, actor: Actor, key: str, assignments: list[str], now: datetime
) -> str:
    """`clave=valor` pairs override the default plan; `default` goes back to it."""
    _lead(actor)
    plan: dict[str, str] | None = {}
    if assignments == ["default"] or assignments == ["predeterminado"]:
        plan = None
    else:
        for item in assignments:
            name, sep, value = item.partition("=")
            if not sep or not value:
                raise Refused(f"Escriba `clave=valor` ({', '.join(PLAN_KEYS)}); recibí «{item}».")
            assert plan is not None
            plan[name.strip().lower()] = value.strip()
        if not plan:
            raise Refused("Indique el plan: `cliente plan acme dias=mon-sun horas=00:00-24:00`.")
    try:
        policies.for_plan(plan)
    except ValueError as error:
        raise Refused(f"Plan no válido: {error}") from None
    async with _client_to_change(db, key) as (conn, client):
        await store.set_plan(conn, client.key, plan)
        await ticket_store.add_audit(
            conn, None, now, actor.user_id, "cliente_plan", {"cliente": client.key, "plan": plan}
        )
    shown = ", ".join(f"{k}={v}" for k, v in (plan or {}).items()) or "el predeterminado"
    return (
        f"Plan de `{client.key}`: {shown}. Aplica a los relojes que empiecen o se muevan "
        "desde ahora."
    )


FORCE = "forzar"  # keeps an RFC whose check digit does not hold (it happens in old ones)


def read_rfcs(words: list[str]) -> list[str]:
    """The RFCs a lead typed (commas or spaces, any case; Slack's `&amp;` read as `&`, which
    RFCs may carry); raises `Refused` for one that is not shaped like an RFC, or whose check
    digit is wrong unless `forzar` is among the words: a wrong one would flag every invoice."""
    text = " ".join(words).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    pieces = [piece for piece in re.split(r"[,;\s]+", text) if piece]
    forced = FORCE in (piece.lower() for piece in pieces)
    rfcs: list[str] = []
    for word in (piece for piece in pieces if piece.lower() != FORCE):
        found = read_rfc(word)
        if found is None:
            raise Refused(f"«{slack_escape(word)}» no es un RFC (12 o 13 caracteres).")
        if not found.digit_ok and not forced:
            raise Refused(
                f"El dígito verificador de {slack_escape(found.value)} no corresponde: revíselo "
                f"(si es correcto así, agregue `{FORCE}`)."
            )
        if found.value not in rfcs:
            rfcs.append(found.value)
    return rfcs


async def set_rfcs(db: Database, actor: Actor, key: str, words: list[str], now: datetime) -> str:
    """The client's RFCs (`ninguno` clears them): the receiver of its suppliers' invoices."""
    _lead(actor)
    clearing = [word.lower() for word in words] in (["ninguno"], ["ninguna"], ["-"])
    rfcs = [] if clearing else read_rfcs(words)
    if not rfcs and not clearing:
        raise Refused("Indique los RFC: `cliente rfc acme EKU9003173C9 [OTRO…]`, o `ninguno`.")
    async with _client_to_change(db, key) as (conn, client):
        await store.set_rfcs(conn, client.key, rfcs)
        await ticket_store.add_audit(
            conn, None, now, actor.user_id, "cliente_rfc", {"cliente": client.key, "rfc": rfcs}
        )
    if not rfcs:
        return f"`{client.key}` ya no tiene RFC: el receptor de sus facturas no se revisa."
    which = "ese RFC" if len(rfcs) == 1 else "esos RFC"
    return (
        f"RFC de `{client.key}`: {', '.join(rfcs)}. El receptor de las facturas que lleguen "
        f"desde ahora se compara con {which}; en las tarjetas ya publicadas, al redibujarse."
    )


@dataclass(frozen=True)
class Imported:
    added: int
    problems: list[str]


async def import_csv(db: Database, actor: Actor, text: str, now: datetime) -> Imported:
    """Rows `clave,nombre,hosts,estado,rfc` (hosts and RFCs separated by spaces or `;`); a
    header is allowed."""
    added, problems = 0, []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (line == 1 and row[0].strip().lower() in ("clave", "key")):
            continue
        key, name, hosts, status, rfcs = [*row, "", "", "", "", ""][:5]
        try:
            await add(
                db,
                actor,
                key,
                name,
                re.split(r"[;\s]+", hosts.strip()),
                now,
                status.strip().lower() or VIGENTE,
                [rfcs],
            )
            added += 1
        except Refused as refusal:
            problems.append(f"línea {line}: {refusal.message}")
    return Imported(added, problems)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_api_key(db: Database, actor: Actor, client_key: str, now: datetime) -> str:
    """A new key for the portal of `client_key`; shown once, stored only as its hash."""
    _lead(actor)
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as conn:
        client = await store.client_in(conn, client_key.strip().lower())
        if client is None:
            raise Refused(f"No existe el cliente `{client_key}`.")
        key_id = await store.add_api_key(
            conn, client.key, key[:12], _digest(key), actor.user_id, now
        )
        await ticket_store.add_audit(
            conn, None, now, actor.user_id, "api_clave", {"cliente": client.key, "id": key_id}
        )
    return key


async def client_for_api_key(db: Database, key: str) -> str | None:
    return await store.client_of_api_key(db, _digest(key)) if key else None


async def revoke_api_key(db: Database, actor: Actor, key_id: int, now: datetime) -> str:
    _lead(actor)
    async with db.transaction() as conn:
        if not await store.revoke_api_key(conn, key_id, now):
            raise Refused(f"No hay una clave activa con id {key_id}.")
        await ticket_store.add_audit(
            conn, None, now, actor.user_id, "api_clave_revocada", {"id": key_id}
        )
    return f"Clave {key_id} revocada."
