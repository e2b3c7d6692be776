"""What an invoice (CFDI) attached to a ticket says, and what is wrong with it. Pure.

A `Reading` is what `bot.cfdi.read` found in the XML once, when the file was stored: the facts
(UUID, issuer, receiver, total, dates) and the checks that depend on the file alone (schema,
seal). `findings` adds the checks that depend on whose ticket it is (the client's RFCs) and on
the desk's rule for old stamps, and says each problem as one Spanish line telling the supplier
what to do. The same lines go on the card, in `/hib2b ver` and in the confirmation email."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from bot.domain import rfc
from store.models import Client

CURRENT_VERSION = "4.0"
# Another open ticket of the same address and incident type this recent may be the same report.
DUPLICATE_WINDOW = timedelta(hours=24)
QUOTED = 40  # characters of a value from the XML that a problem's line quotes
KIND_LABELS = {
    "I": "Ingreso",
    "E": "Egreso",
    "T": "Traslado",
    "N": "Nómina",
    "P": "Pago",
}
SEAL_OK, SEAL_BAD, SEAL_MISSING = "ok", "alterado", "sin_sello"


@dataclass(frozen=True)
class Reading:
    """One CFDI as read from its XML. `unreadable` (Spanish) says why it could not be read;
    then only `read_at` is meaningful."""

    read_at: str  # ISO, UTC: when the file was stored (old stamps are judged from here)
    unreadable: str = ""
    version: str = ""
    uuid: str = ""  # upper case; "" when the XML carries no stamp
    kind: str = ""  # TipoDeComprobante: I, E, T, N, P
    issuer_rfc: str = ""
    issuer_name: str = ""
    receiver_rfc: str = ""
    receiver_name: str = ""
    total: str = ""  # as written in the XML
    currency: str = ""
    issued: str = ""  # Fecha, local time of the issuer as written (ISO, no zone)
    stamped: str = ""  # FechaTimbrado, Mexico City time as written (ISO, no zone)
    payments: str = ""  # the Pagos complement's total paid, when it has one
    schema: tuple[str, ...] = field(default=())  # the schema's complaints; () when valid
    seal: str = SEAL_OK

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Reading:
        values = json.loads(text)
        known = {name: values[name] for name in cls.__dataclass_fields__ if name in values}
        known["schema"] = tuple(known.get("schema", ()))
        return cls(**known)


def unreadable(reason: str, at: datetime) -> Reading:
    return Reading(read_at=at.isoformat(), unreadable=reason)


@dataclass(frozen=True)
class Checks:
    """Whose ticket the invoice came with, and the desk's rule for old stamps."""

    max_age: timedelta = timedelta(hours=72)  # HIB2B_CFDI_MAX_AGE's default
    client_name: str = ""
    client_rfcs: tuple[str, ...] = ()


NO_CLIENT = Checks()  # no client's RFCs to compare with; the default stamp age


_MISSING = re.compile(r"The attribute '(\w+)' is required but missing")
_BAD_VALUE = re.compile(r"attribute '(\w+)': '([^']*)' is not a valid value")
_NOT_ALLOWED = re.compile(r"The attribute '(\w+)' is not allowed")
_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?(\w+)'")
_MISSING_CHILD = re.compile(r"Missing child element\(s\)\. Expected is \( (?:\{[^}]*\})?(\w+)")


def schema_detail(message: str) -> str:
    """The schema validator's English complaint, said in Spanish when it is a usual one."""
    element = _ELEMENT.search(message)
    where = f" en {element.group(1)}" if element else ""
    if found := _MISSING.search(message):
        return f"falta el atributo {found.group(1)}{where}"
    if found := _BAD_VALUE.search(message):
        return f"el valor «{found.group(2)[:40]}» de {found.group(1)} no es válido{where}"
    if found := _NOT_ALLOWED.search(message):
        return f"el atributo {found.group(1)} no está permitido{where}"
    if found := _MISSING_CHILD.search(message):
        return f"falta el nodo {found.group(1)}{where}"
    return f"el nodo{where or ' raíz'} no cumple el esquema"


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def local_datetime(text: str) -> str:
    """dd/mm/aaaa hh:mm of a date as the XML wrote it (its own local time)."""
    moment = _when(text)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else text


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours < 1:
        return f"{span.total_seconds() / 60:g} minutos"
    return "1 hora" if hours == 1 else f"{hours:g} horas"


def stamp_age(reading: Reading) -> timedelta | None:
    """How old the stamp was when the file arrived. FechaTimbrado is Mexico City time; the
    arrival is UTC: the gap is read with central time's fixed offset (no DST since 2022)."""
    stamped, arrived = _when(reading.stamped), _when(reading.read_at)
    if stamped is None or arrived is None or arrived.tzinfo is None:
        return None
    return arrived.replace(tzinfo=None) - timedelta(hours=6) - stamped.replace(tzinfo=None)


def findings(reading: Reading, checks: Checks) -> tuple[str, ...]:
    """Each problem of the invoice, one Spanish line saying what the supplier should do."""
    if reading.unreadable:
        return (
            f"El XML no se pudo leer: {reading.unreadable}. Envíe el XML original, tal como lo "
            "descargó de su sistema de facturación.",
        )
    lines = []
    if reading.version != CURRENT_VERSION:
        lines.append(
            f"Es un CFDI {_value(reading.version)}: desde el 1 de abril de 2023 el SAT solo "
            "acepta la versión 4.0. Emita la factura de nuevo en versión 4.0."
        )
    if reading.seal == SEAL_MISSING:
        lines.append(
            "El XML no trae sello ni certificado del emisor: cargue el XML sellado y timbrado "
            "que le devolvió su proveedor de facturación."
        )
    elif reading.seal == SEAL_BAD:
        lines.append(
            "El sello no corresponde al contenido: el XML se modificó después de sellarse. "
            "Cargue el XML original, sin editarlo ni guardarlo de nuevo con otro programa."
        )
    if not reading.uuid:
        lines.append(
            "El XML no está timbrado (no tiene Timbre Fiscal Digital): cargue el XML que le "
            "devolvió su proveedor de certificación (PAC) después de timbrarlo."
        )
    if reading.schema:
        lines.append(
            f"El XML no cumple el esquema del SAT ({schema_detail(reading.schema[0])}): cargue "
            "el XML original; si así lo recibió, pida a su proveedor de facturación que lo corrija."
        )
    lines.extend(_rfc_lines(reading, checks))
    age = stamp_age(reading)
    if age is not None and age > checks.max_age:
        lines.append(
            f"La factura se timbró el {_value(local_datetime(reading.stamped))}, hace más de "
            f"{_hours(checks.max_age)}; el portal solo recibe facturas timbradas en las últimas "
            f"{_hours(checks.max_age)}. Consulte con su cliente cómo entregarla o emita una nueva."
        )
    return tuple(lines)


def _value(text: str) -> str:
    """A value from the XML as a line quotes it: short (it is the sender's text)."""
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"


def _rfc_lines(reading: Reading, checks: Checks) -> list[str]:
    lines = []
    for role, value in (
        ("emisor", _value(reading.issuer_rfc)),
        ("receptor", _value(reading.receiver_rfc)),
    ):
        read = rfc.read(value)
        if value and (read is None or not read.digit_ok):
            lines.append(
                f"El RFC del {role} ({value}) no es un RFC válido: corrija el RFC en su sistema "
                "de facturación y emita la factura de nuevo."
            )
    receiver = _value(reading.receiver_rfc.upper())
    if checks.client_rfcs and receiver not in checks.client_rfcs:
        whose = f" de {checks.client_name}" if checks.client_name else " del cliente"
        lines.append(
            f"La factura está emitida al RFC {receiver or '(vacío)'}, que no es el RFC{whose} "
            f"({', '.join(checks.client_rfcs)}): emítala de nuevo al RFC correcto."
        )
    return lines


def problems_of(files: Iterable[tuple[str, str | None]], checks: Checks) -> tuple[str, ...]:
    """«name»: problem, for every invoice among `files` (display name, stored reading)."""
    return tuple(
        f"«{name}»: {line}"
        for name, stored in files
        if stored
        for line in findings(Reading.from_json(stored), checks)
    )


def checks_for(client: Client | None, max_age: timedelta) -> Checks:
    if client is None:
        return Checks(max_age)
    return Checks(max_age, client.name, client.rfcs)


def money(reading: Reading) -> str:
    """The total as people read money: $1,160.00 MXN."""
    try:
        amount = Decimal(reading.total)
    except InvalidOperation:
        return f"{reading.total} {reading.currency}".strip()
    return f"${amount:,.2f} {reading.currency}".strip()


def kind_label(reading: Reading) -> str:
    return KIND_LABELS.get(reading.kind, reading.kind)
