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
    NUEVO = "nuevo"

    @property
    def label(self) -> str:
        return {"nuevo": "Nuevo, sin asignar"}[self.value]


class Source(StrEnum):
    FORMULARIO = "formulario"


def ticket_code(number: int) -> str:
    return f"HD-{number}"


_CODE = re.compile(r"(?:hd-?)?\s*(\d{1,9})", re.IGNORECASE)


def parse_ticket_code(text: str) -> int | None:
    """`HD-12`, `hd-12`, `hd12` or `12` → 12; anything else → None."""
    match = _CODE.fullmatch(text.strip())
    return int(match.group(1)) if match else None
