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
from zoneinfo import ZoneInfo

from bot.domain import rfc
from bot.domain.text import shorten
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
SEAL_FOREIGN = "otro_certificado"  # it matches, but the certificate is not the issuer's
SEAL_UNCHECKED = "sin_revisar"  # a version too old to check
CHECKED_VERSIONS = ("3.3", "4.0")
STAMP_ZONE = ZoneInfo("America/Mexico_City")  # the zone FechaTimbrado is written in


@dataclass(frozen=True)
class Reading:
    """One CFDI as read from its XML. `unreadable` (Spanish) says why it could not be read;
    then only `read_at` is meaningful."""

    read_at: str  # ISO, UTC: when the file was stored (old stamps are judged from here)
    unreadable: str = ""  # the file's fault (not XML, a DTD): the supplier is told
    unchecked: str = ""  # ours (time, memory, a crash): the technician is told, not the supplier
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
    seal: str = ""  # one of SEAL_*; "" when the XML could not be read or checked

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


def unchecked(reason: str, at: datetime) -> Reading:
    return Reading(read_at=at.isoformat(), unchecked=reason)


@dataclass(frozen=True)
class Checks:
    """Whose ticket the invoice came with, and the desk's rule for old stamps."""

    max_age: timedelta = timedelta(hours=72)  # HIB2B_CFDI_MAX_AGE's default
    client_name: str = ""
    client_rfcs: tuple[str, ...] = ()


NO_CLIENT = Checks()  # no client's RFCs to compare with; the default stamp age


_MISSING = re.compile(r"The attribute '(\w+)' is required but missing")
_BAD_VALUE = re.compile(r"attribute '(\w+)': '([^']*)' is not a valid value")
_FACET = re.compile(r"attribute '(\w+)': \[facet '\w+'\] The value '([^']*)'")
_NOT_ALLOWED = re.compile(r"The attribute '(\w+)' is not allowed")
_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?(\w+)'")
_MISSING_CHILD = re.compile(r"Missing child element\(s\)\. Expected is \( (?:\{[^}]*\})?(\w+)")
_UNEXPECTED = re.compile(r"This element is not expected")


def schema_detail(message: str) -> str:
    """The schema validator's English complaint, said in Spanish when it is a usual one."""
    element = _ELEMENT.search(message)
    node = element.group(1) if element else "Comprobante"
    if found := _MISSING.search(message):
        return f"falta el atributo {found.group(1)} en {node}"
    if found := _BAD_VALUE.search(message) or _FACET.search(message):
        value, attribute = _value(found.group(2)), found.group(1)
        return f"el valor «{value}» del atributo {attribute} de {node} no es válido"
    if found := _NOT_ALLOWED.search(message):
        return f"el atributo {found.group(1)} no está permitido en {node}"
    if found := _MISSING_CHILD.search(message):
        return f"falta el nodo {found.group(1)} en {node}"
    if _UNEXPECTED.search(message):
        return f"el nodo {node} no va en ese lugar"
    return f"el nodo {node} no cumple el esquema"


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
    minutes = round(span.total_seconds() / 60)
    if minutes < 60:
        return "1 minuto" if minutes == 1 else f"{minutes} minutos"
    hours = span.total_seconds() / 3600
    return "1 hora" if hours == 1 else f"{hours:g} horas"


def stamp_age(reading: Reading) -> timedelta | None:
    """How old the stamp was when the file arrived. FechaTimbrado is written in Mexico City's
    time without a zone; the arrival is an instant."""
    stamped, arrived = _when(reading.stamped), _when(reading.read_at)
    if stamped is None or arrived is None or arrived.tzinfo is None:
        return None
    return arrived - stamped.replace(tzinfo=STAMP_ZONE)


def findings(reading: Reading, checks: Checks) -> tuple[str, ...]:
    """Each problem of the invoice, one Spanish line saying what the supplier should do (or,
    when we could not check it, what the technician should)."""
    if reading.unchecked:
        return (
            f"No se pudo revisar este XML ({reading.unchecked}): revíselo a mano; al proveedor "
            "no se le avisó.",
        )
    if reading.unreadable:
        return (
            f"El XML no se pudo leer: {reading.unreadable}. Cargue en el portal el XML original, "
            "tal como lo descargó de su sistema de facturación.",
        )
    noun = "el complemento de pago" if reading.kind == "P" else "la factura"
    if reading.version not in CHECKED_VERSIONS:
        return (
            f"Es un CFDI {_value(reading.version) or 'sin versión'}: el SAT solo acepta la "
            f"versión 4.0. Emita {noun} en versión 4.0.",
        )
    lines = []
    if reading.version != CURRENT_VERSION:
        lines.append(
            f"Es un CFDI {reading.version}: desde el 1 de abril de 2023 el SAT solo acepta la "
            f"versión 4.0. Emita {noun} en versión 4.0."
        )
    lines.extend(_seal_lines(reading))
    if reading.schema:
        lines.append(
            f"El XML no cumple el esquema del SAT ({schema_detail(reading.schema[0])}): cargue "
            "en el portal el XML original; si así lo generó su sistema de facturación, pida "
            "que lo corrijan."
        )
    lines.extend(_rfc_lines(reading, checks, noun))
    age = stamp_age(reading)
    if age is not None and age > checks.max_age:
        limit = _hours(checks.max_age)
        lines.append(
            f"{noun.capitalize()} se timbró el {_value(local_datetime(reading.stamped))} (hora "
            f"del centro de México), hace más de {limit}, y el portal solo recibe las timbradas "
            f"en ese plazo. Pregunte a su cliente si aún puede recibirla; si le pide una nueva, "
            "cancele esta ante el SAT y emita la sustituta."
        )
    return tuple(lines)


def _seal_lines(reading: Reading) -> list[str]:
    lines = []
    if reading.seal == SEAL_MISSING:
        lines.append(
            "El XML no trae sello ni certificado del emisor: cargue en el portal el XML sellado "
            "y timbrado que le entregó su sistema de facturación o su PAC."
        )
    elif reading.seal == SEAL_BAD:
        lines.append(
            "El sello no corresponde al contenido: el XML se modificó después de sellarse. "
            "Cargue en el portal el XML original, sin editarlo ni guardarlo con otro programa."
        )
    elif reading.seal == SEAL_FOREIGN:
        lines.append(
            f"El XML está sellado con un certificado que no es el del emisor "
            f"({_value(reading.issuer_rfc) or 'sin RFC'}): el sello debe hacerse con el "
            "certificado de sello digital (CSD) del emisor; pida a su PAC que lo revise."
        )
    if not reading.uuid:
        lines.append(
            "El XML no está timbrado (no tiene Timbre Fiscal Digital válido): cargue el XML que "
            "le devolvió su PAC después de timbrarlo."
        )
    return lines


def _value(text: str) -> str:
    """A value from the XML as a line quotes it: short (it is the sender's text)."""
    return shorten(text, QUOTED)[0]


def _rfc_lines(reading: Reading, checks: Checks, noun: str) -> list[str]:
    lines = []
    for role, value in (
        ("emisor", _value(reading.issuer_rfc)),
        ("receptor", _value(reading.receiver_rfc)),
    ):
        read = rfc.read(value)
        if value and (read is None or not read.digit_ok):
            lines.append(
                f"El RFC del {role} ({value}) no es un RFC válido: corríjalo en su sistema de "
                f"facturación, cancele {noun} ante el SAT y emita la sustituta."
            )
    receiver = _value(reading.receiver_rfc.upper())
    if checks.client_rfcs and receiver not in checks.client_rfcs:
        whose = f" de {checks.client_name}" if checks.client_name else " del cliente"
        lines.append(
            f"{noun.capitalize()} está emitida al RFC {receiver or '(vacío)'}, que no es el "
            f"RFC{whose} ({', '.join(checks.client_rfcs)}): cancélela ante el SAT y emita la "
            "sustituta al RFC correcto."
        )
    return lines


def problems_of(files: Iterable[tuple[str, str | None]], checks: Checks) -> tuple[str, ...]:
    """«name»: problem, for the supplier: every invoice among `files` (display name, stored
    reading) we could check. What we failed to check is ours to say, not theirs to fix."""
    readings = ((name, Reading.from_json(stored)) for name, stored in files if stored)
    return tuple(
        f"«{name}»: {line}"
        for name, reading in readings
        if not reading.unchecked
        for line in findings(reading, checks)
    )


def checks_for(client: Client | None, max_age: timedelta) -> Checks:
    if client is None:
        return Checks(max_age)
    return Checks(max_age, client.name, client.rfcs)


def money(amount_text: str, currency: str) -> str:
    """An amount as people read money: $1,160.00 MXN. Only SAT-shaped amounts are formatted
    (the reader keeps anything else as text): a huge exponent is never expanded."""
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount.adjusted() > 18:
        return f"{_value(amount_text)} {currency}".strip()
    return f"${amount:,.2f} {currency}".strip()


def kind_label(reading: Reading) -> str:
    return KIND_LABELS.get(reading.kind, reading.kind)
