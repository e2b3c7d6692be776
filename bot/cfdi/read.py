"""Reading a CFDI from its XML, offline, with satcfdi's SAT schemas and transforms.

CPU work on untrusted bytes: the service runs it in a child process (`bot.cfdi.worker`) that is
bounded in memory and killed when it takes too long; tests and the benchmark call `read`
directly. Our own parser resolves no entities, fetches nothing and keeps libxml2's limits on
(satcfdi's own parser lifts them for huge trees), so the XML is parsed once, safely, and handed
to satcfdi as a tree."""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from OpenSSL import crypto
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import CFDIError
from satcfdi.models import Certificate
from satcfdi.transform import SCHEMA_ROOT, SchemaCollector, cfdi_schemas, xslt_transform

from bot.domain.cfdi import (
    CHECKED_VERSIONS,
    SEAL_BAD,
    SEAL_FOREIGN,
    SEAL_MISSING,
    SEAL_OK,
    SEAL_UNCHECKED,
    Reading,
    unreadable,
)
from bot.domain.text import shorten

CFDI_NAMESPACES = {"http://www.sat.gob.mx/cfd/3", "http://www.sat.gob.mx/cfd/4"}
TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
PAGOS = ("{http://www.sat.gob.mx/Pagos20}Pagos", "{http://www.sat.gob.mx/Pagos}Pagos")
# The schemas of a CFDI whose model could not be built (an attribute missing): the base one.
FALLBACK_SCHEMAS = {
    "http://www.sat.gob.mx/cfd/4": "www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd",
    "http://www.sat.gob.mx/cfd/3": "www.sat.gob.mx/sitio_internet/cfd/3/cfdv33.xsd",
}
TFD_SCHEMA = "www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
MAX_SCHEMA_ERRORS = 3
NAME_LIMIT, RFC_LIMIT = 254, 20
UUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
AMOUNT = re.compile(r"\d{1,18}(?:\.\d{1,6})?")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
# How libxml2 reports a failed allocation under the child's memory cap.
OUT_OF_MEMORY = ("Memory allocation failed", "unknown error")

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)


def is_cfdi(root: Any) -> bool:
    return etree.QName(root).namespace in CFDI_NAMESPACES and etree.QName(root).localname == (
        "Comprobante"
    )


def read(data: bytes, now: datetime) -> Reading | None:
    """The CFDI in `data`; None when the XML is some other document. Never raises for bad
    input: what cannot be read is a `Reading` whose `unreadable` says why (Spanish)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        if any(sign in str(error) for sign in OUT_OF_MEMORY):
            raise MemoryError("libxml2 could not allocate") from error
        return unreadable(f"no es un XML válido (línea {error.lineno or 1})", now)
    if root.getroottree().docinfo.internalDTD is not None:
        return unreadable("declara un DTD, que un CFDI no lleva", now)
    if not is_cfdi(root):
        return None
    namespace = etree.QName(root).namespace
    version = _clean(root.get("Version") or root.get("version") or "", 5)
    stamp = next(root.iter(TFD), None)
    pagos = next((node for tag in PAGOS for node in root.iter(tag)), None)
    uuid = _clean(stamp.get("UUID", "") if stamp is not None else "", 36).upper()
    checked = version in CHECKED_VERSIONS  # older ones: only their version is worth saying
    return Reading(
        read_at=now.isoformat(),
        version=version,
        uuid=uuid if UUID.fullmatch(uuid) else "",
        kind=_clean(root.get("TipoDeComprobante", ""), 1),
        issuer_rfc=_attribute(root, namespace, "Emisor", "Rfc", RFC_LIMIT),
        issuer_name=_attribute(root, namespace, "Emisor", "Nombre", NAME_LIMIT),
        receiver_rfc=_attribute(root, namespace, "Receptor", "Rfc", RFC_LIMIT),
        receiver_name=_attribute(root, namespace, "Receptor", "Nombre", NAME_LIMIT),
        total=_amount(root.get("Total", "")),
        currency=_clean(root.get("Moneda", ""), 3),
        issued=_clean(root.get("Fecha", ""), 19),
        stamped=_clean(stamp.get("FechaTimbrado", "") if stamp is not None else "", 19),
        payments=_payments(pagos),
        schema=_schema_errors(root, _model(root), namespace, stamp is not None) if checked else (),
        seal=_seal(root, version) if checked else SEAL_UNCHECKED,
    )


def _clean(text: str, limit: int) -> str:
    """A value from the XML as we keep it: one line (an `&#10;` cannot add lines to a card or
    an email), no controls, at most `limit` characters."""
    return shorten(" ".join(_CONTROLS.sub(" ", text).split()), limit)[0]


def _amount(text: str) -> str:
    """An amount as SAT writes one (at most 18 digits and 6 decimals); anything else is kept
    as short text, never as a number to format (`1E999999999` would take the loop)."""
    text = text.strip()
    return text if AMOUNT.fullmatch(text) else _clean(text, 24)


def _attribute(root: Any, namespace: str, child: str, name: str, limit: int) -> str:
    node = root.find(f"{{{namespace}}}{child}")
    return _clean(node.get(name) or "", limit) if node is not None else ""


def _payments(pagos: Any) -> str:
    if pagos is None:
        return ""
    totals = next(iter(pagos.iter("{http://www.sat.gob.mx/Pagos20}Totales")), None)
    if totals is not None and totals.get("MontoTotalPagos"):
        return _amount(totals.get("MontoTotalPagos", ""))
    amounts = [node.get("Monto", "").strip() for node in pagos if node.get("Monto")]
    if not amounts or not all(AMOUNT.fullmatch(amount) for amount in amounts):
        return ""
    return str(sum(Decimal(amount) for amount in amounts))


def _model(root: Any) -> CFDI | None:
    """satcfdi's model of the document (it knows which complement schemas apply); None when
    the document is too broken to build one."""
    try:
        return CFDI.from_xml(root)
    except Exception:
        return None


def _schema_errors(root: Any, model: CFDI | None, namespace: str, stamped: bool) -> tuple[str, ...]:
    locations: set[str] = set()
    if model is not None:
        collector = SchemaCollector()
        try:
            cfdi_schemas[model.tag](collector, model)
            locations = set(collector.base)
        except Exception:
            locations = set()
    if not locations:
        locations = {FALLBACK_SCHEMAS[namespace]} | ({TFD_SCHEMA} if stamped else set())
    schema = _schema(frozenset(locations))
    if schema.validate(root):
        return ()
    return tuple(_clean(entry.message, 300) for entry in list(schema.error_log)[:MAX_SCHEMA_ERRORS])


@functools.lru_cache(maxsize=32)
def _schema(locations: frozenset[str]) -> etree.XMLSchema:
    """The SAT schemas for a set of namespaces, compiled once per process (100–300 ms each)."""
    wrapper = etree.fromstring(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>',
        base_url=os.path.join(SCHEMA_ROOT, "schema.xsd"),
    )
    for location in sorted(locations):
        etree.SubElement(
            wrapper,
            "{http://www.w3.org/2001/XMLSchema}import",
            attrib={"namespace": "", "schemaLocation": location},
        )
    return etree.XMLSchema(wrapper)


def _seal(root: Any, version: str) -> str:
    """Whether the issuer's seal matches the document, checked against the certificate the
    XML carries (no chain to SAT's authority: SAT's own test invoices must pass), and whether
    that certificate is the issuer's own: its RFC and its number as the XML states them."""
    seal, certificate = root.get("Sello", ""), root.get("Certificado", "")
    if not seal or not certificate:
        return SEAL_MISSING
    try:
        signature = base64.b64decode(seal, validate=True)
        cert = Certificate.load_certificate(base64.b64decode(certificate, validate=True))
        original = str(xslt_transform(root.tag, version)(root)).encode()
        matches = cert.verify_sha256(original, signature)
        owner = str(cert.rfc or "")
        number = cert.certificate_number
    except (binascii.Error, ValueError, etree.Error, CFDIError, crypto.Error, OSError):
        return SEAL_BAD  # a seal or certificate that is not even readable does not match
    if not matches:
        return SEAL_BAD
    issuer = root.find(f"{{{etree.QName(root).namespace}}}Emisor")
    issuer_rfc = (issuer.get("Rfc") or "").strip().upper() if issuer is not None else ""
    if owner.upper() != issuer_rfc or number != (root.get("NoCertificado") or "").strip():
        return SEAL_FOREIGN
    return SEAL_OK
