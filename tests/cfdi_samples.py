"""Real CFDIs for the tests and the benchmark, built and sealed with satcfdi from test
certificates made here (self-signed, with SAT's subject fields: RFC in x500UniqueIdentifier,
the certificate number in the serial). `mutate` then breaks one thing the way suppliers'
files are broken."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from satcfdi.create.cfd import cfdi33, cfdi40, pago20, tfd11
from satcfdi.models import Signer

ISSUER_RFC = "EKU9003173C9"  # SAT's published test issuer: a valid check digit
ISSUER_NAME = "ESCUELA KEMPER URGATE"
RECEIVER_RFC = "CACX7605101P8"  # a valid person's RFC
RECEIVER_NAME = "XOCHILT CASAS CHAVEZ"
OTHER_RFC = "IIA040805DZ4"


@functools.cache
def signer(rfc: str, name: str, number: str, pac: bool = False) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
    ]
    if pac:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"PAC{rfc}"))
    subject = x509.Name(attributes)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(number.encode().hex(), 16))  # SAT's numbers are ASCII digits
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return Signer.load(
        certificate.public_bytes(serialization.Encoding.DER),
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def issuer() -> Signer:
    return signer(ISSUER_RFC, ISSUER_NAME, "30001000000500003416")


def pac() -> Signer:
    return signer(
        "SAT970701NN3", "SERVICIO DE ADMINISTRACION TRIBUTARIA", "30001000000500003456", True
    )


@dataclass(frozen=True)
class Invoice:
    uuid: str = "6F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
    receiver_rfc: str = RECEIVER_RFC
    stamped: datetime = datetime(2026, 11, 30, 10, 1)  # Mexico City time, as SAT writes it
    version: str = "4.0"
    amount: str = "1000"
    payment: bool = False  # a Pagos 2.0 receipt instead of an invoice
    foreign_seal: bool = False  # sealed with someone else's certificate


def stranger() -> Signer:
    return signer(OTHER_RFC, "INDUSTRIAS ISLA", "30001000000500003499")


def build(invoice: Invoice = Invoice()) -> bytes:
    """A sealed and stamped CFDI as a PAC returns it."""
    emisor = issuer()
    issued = invoice.stamped - timedelta(minutes=1)
    if invoice.version == "3.3":
        document = cfdi33.Comprobante(
            emisor=cfdi33.Emisor(rfc=emisor.rfc, nombre=ISSUER_NAME, regimen_fiscal="601"),
            lugar_expedicion="56820",
            receptor=cfdi33.Receptor(
                rfc=invoice.receiver_rfc, nombre=RECEIVER_NAME, uso_cfdi="G03"
            ),
            conceptos=[_concept33(invoice.amount)],
            forma_pago="03",
            metodo_pago="PUE",
            fecha=issued,
        )
    else:
        document = cfdi40.Comprobante(
            emisor=cfdi40.Emisor(rfc=emisor.rfc, nombre=ISSUER_NAME, regimen_fiscal="601"),
            lugar_expedicion="56820",
            receptor=cfdi40.Receptor(
                rfc=invoice.receiver_rfc,
                nombre=RECEIVER_NAME,
                domicilio_fiscal_receptor="36257",
                regimen_fiscal_receptor="612",
                uso_cfdi="CP01" if invoice.payment else "G03",
            ),
            conceptos=[_concept40(invoice.amount, invoice.payment)],
            forma_pago=None if invoice.payment else "03",
            metodo_pago=None if invoice.payment else "PUE",
            tipo_de_comprobante="P" if invoice.payment else "I",
            moneda="XXX" if invoice.payment else "MXN",
            complemento=_payment(invoice.amount, issued) if invoice.payment else None,
            serie="A",
            folio="123",
            fecha=issued,
        )
    sealer = stranger() if invoice.foreign_seal else emisor
    document.sign(sealer)
    stamp = tfd11.TimbreFiscalDigital(
        proveedor=pac(),
        uuid=invoice.uuid,
        fecha_timbrado=invoice.stamped,
        sello_cfd=document["Sello"],
    )
    complements = {"Pagos": document["Complemento"]} if document.get("Complemento") else {}
    document["Complemento"] = {**complements, "TimbreFiscalDigital": stamp}
    return document.xml_bytes()


def _concept40(amount: str, payment: bool) -> cfdi40.Concepto:
    if payment:
        return cfdi40.Concepto(
            clave_prod_serv="84111506",
            cantidad=Decimal(1),
            clave_unidad="ACT",
            descripcion="Pago",
            valor_unitario=Decimal(0),
            objeto_imp="01",
        )
    return cfdi40.Concepto(
        clave_prod_serv="84111506",
        cantidad=Decimal(1),
        clave_unidad="E48",
        descripcion="Servicio de mantenimiento",
        valor_unitario=Decimal(amount),
        objeto_imp="02",
        impuestos=cfdi40.Impuestos(
            traslados=cfdi40.Traslado(
                impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")
            )
        ),
    )


def _concept33(amount: str) -> cfdi33.Concepto:
    return cfdi33.Concepto(
        clave_prod_serv="84111506",
        cantidad=Decimal(1),
        clave_unidad="E48",
        descripcion="Servicio de mantenimiento",
        valor_unitario=Decimal(amount),
        impuestos=cfdi33.Impuestos(
            traslados=cfdi33.Traslado(
                impuesto="002", tipo_factor="Tasa", tasa_o_cuota=Decimal("0.160000")
            )
        ),
    )


def _payment(amount: str, when: datetime) -> pago20.Pagos:
    return pago20.Pagos(
        pago=pago20.Pago(
            fecha_pago=when,
            forma_de_pago_p="03",
            moneda_p="MXN",
            tipo_cambio_p=Decimal(1),
            docto_relacionado=pago20.DoctoRelacionado(
                id_documento="0F1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C40",
                moneda_dr="MXN",
                num_parcialidad=1,
                imp_saldo_ant=Decimal(amount),
                imp_pagado=Decimal(amount),
                objeto_imp_dr="01",
                equivalencia_dr=Decimal(1),
            ),
        )
    )


def mutate(data: bytes, **attributes: str | None) -> bytes:
    """The same XML with some of the Comprobante's attributes changed (None: removed), as an
    editor would leave it after the seal was made."""
    root = etree.fromstring(data)
    for name, value in attributes.items():
        if value is None:
            root.attrib.pop(name, None)
        else:
            root.set(name, value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def set_receiver(data: bytes, rfc: str) -> bytes:
    root = etree.fromstring(data)
    node = root.find("{http://www.sat.gob.mx/cfd/4}Receptor")
    node.set("Rfc", rfc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
