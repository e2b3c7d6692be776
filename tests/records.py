"""What the rule and store tests share: the default plan, a mail context, a technician, a
report, a resolved close."""

from __future__ import annotations

from typing import Any

from bot.cases.plans import Policies
from bot.cases.tickets import FormSubmission
from bot.config import load_settings
from bot.domain import change
from bot.domain.terms import Role
from bot.render.email import MailContext

POLICIES = Policies(load_settings({}))
SLA = POLICIES.default
CTX = MailContext(
    "Soporte HIB2B <soporte@portalhib2b.com>",
    "soporte@portalhib2b.com",
    "soporte@portalhib2b.com",
    "America/Mexico_City",
)
TECH = change.Actor("U0TECH1", Role.TECNICO)


def report(form_id: str, tipo: str = "conectividad") -> FormSubmission:
    return FormSubmission(
        form_id=form_id,
        tipo=tipo,
        usuario="xime1805",
        correo="x@example.com",
        liga_portal="",
        descripcion="Sin conexión",
        client_ip="127.0.0.1",
    )


def resolved(**overrides: Any) -> dict[str, Any]:
    """Arguments of `workflow.close` for a plain resolution."""
    return {
        "kind": "resuelto",
        "cause": "acceso",
        "cause_text": "",
        "summary": "Listo",
        "duplicate_of": None,
        "original_exists": False,
        **overrides,
    }
