"""The help desk's vocabulary: incident types, severities, ticket numbers. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BAJO = "bajo"
    MEDIO_ALTO = "medio-alto"
    CRITICO = "critico"

    @property
    def label(self) -> str:
        return {"bajo": "Bajo", "medio-alto": "Medio-Alto", "critico": "Crítico"}[self.value]


@dataclass(frozen=True)
class IncidentType:
    key: str
    label: str
    severity: Severity


# The manual's list, in its order. Conectividad defaults to Crítico: a portal outage must not wait.
INCIDENT_TYPES: tuple[IncidentType, ...] = (
    IncidentType("creacion_usuario", "Solicitud de Creación de Usuario", Severity.BAJO),
    IncidentType("olvide_contrasena", "Olvidé mi Contraseña", Severity.BAJO),
    IncidentType("no_se_cargar_factura", "No sé Cargar la Factura", Severity.BAJO),
    IncidentType("error_cargar_factura", "Error al Cargar mi Factura", Severity.MEDIO_ALTO),
    IncidentType("conectividad", "Conectividad", Severity.CRITICO),
    IncidentType("no_lo_se", "No lo sé", Severity.MEDIO_ALTO),
)
INCIDENT_BY_KEY = {incident.key: incident for incident in INCIDENT_TYPES}


class Status(StrEnum):
    NUEVO = "nuevo"  # open, nobody has it
    ASIGNADO = "asignado"
    ESPERANDO = "esperando"  # waiting on the supplier
    CERRADO = "cerrado"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self is not Status.CERRADO


STATUS_LABELS = {
    Status.NUEVO: "Sin asignar",
    Status.ASIGNADO: "En atención",
    Status.ESPERANDO: "Esperando proveedor",
    Status.CERRADO: "Cerrado",
}


class Role(StrEnum):
    TECNICO = "tecnico"
    LIDER = "lider"

    @property
    def label(self) -> str:
        return {"tecnico": "técnico", "lider": "líder"}[self.value]


class CloseKind(StrEnum):
    RESUELTO = "resuelto"
    SPAM = "spam"
    DUPLICADO = "duplicado"  # of another ticket: the supplier hears about that one

    @property
    def label(self) -> str:
        return {"resuelto": "Resuelto", "spam": "Spam", "duplicado": "Duplicado"}[self.value]


# Root causes offered when closing; "otra" asks for the free text.
CAUSES = {
    "capacitacion": "Duda de uso / capacitación",
    "acceso": "Acceso o contraseña",
    "datos_proveedor": "Datos del proveedor (RFC, usuario, correo)",
    "factura_invalida": "Factura o XML con errores",
    "falla_portal": "Falla del portal",
    "infraestructura": "Conectividad o infraestructura",
    "configuracion_cliente": "Configuración del cliente",
    "otra": "Otra",
}


class Source(StrEnum):
    FORMULARIO = "formulario"
    TELEFONO = "telefono"  # opened by a technician during a call
    CORREO = "correo"  # opened by a technician from an email
    PORTAL = "portal"  # opened by the client's portal through the API

    @property
    def label(self) -> str:
        return {
            "formulario": "Formulario web",
            "telefono": "Llamada telefónica",
            "correo": "Correo electrónico",
            "portal": "Portal del cliente (API)",
        }[self.value]


# A client's support: current (its tickets run the SLA) or suspended (they wait for a lead).
VIGENTE, SUSPENDIDO = "vigente", "suspendido"


def ticket_code(number: int) -> str:
    return f"HD-{number}"


_CODE = re.compile(r"(?:hd-?)?\s*([0-9]{1,9})", re.IGNORECASE)


def parse_ticket_code(text: str) -> int | None:
    """`HD-12`, `hd-12`, `hd12` or `12` → 12; anything else → None."""
    match = _CODE.fullmatch(text.strip())
    return int(match.group(1)) if match else None
