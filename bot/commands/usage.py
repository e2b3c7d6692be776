"""What `/hib2b ayuda` says, and what to type where no modal can open (the command line).
Pure text."""

from __future__ import annotations

from bot.commands.parse import NEW_USAGE
from bot.domain.requests import Form
from bot.domain.terms import CAUSES, INCIDENT_BY_KEY, ticket_code

USAGE = """*Comandos de /hib2b* (HD-N también se puede escribir `N`)
• `ayuda`: esta ayuda
• `ver HD-N`: el ticket, solo para usted
• `lista [abiertos|mios|sin-asignar|vencidos]`: tickets abiertos
• `buscar texto`: los 10 tickets que mejor coinciden (número, usuario, correo, descripción,
  respuestas; sin importar acentos ni mayúsculas)
• `sla [HD-N|publicar]`: el estado del SLA; un ticket explicado; publicarlo en el canal
• `tomar HD-N [@persona]`: tomarlo (un líder puede asignarlo a otra persona)
• `soltar HD-N`: dejarlo sin asignar
• `responder HD-N [texto]`: correo al proveedor (sin texto abre el formulario);
  `responder HD-N /plantilla [texto]` usa una respuesta guardada
• `plantilla lista|ver|agregar|quitar NOMBRE [texto]`: respuestas guardadas, con {usuario},
  {ticket}, {tecnico}, {portal} y {primer_contacto} (agregar y quitar: líderes)
• `nota HD-N texto`: nota interna, nunca se envía al proveedor
• `llamada HD-N [HH:MM] texto`: registrar una llamada con el proveedor (hecha hoy a esa hora)
• `severidad HD-N bajo|medio-alto|critico [motivo]`
• `esperar HD-N [motivo]` / `reanudar HD-N`: en espera del proveedor, y de vuelta
• `cerrar HD-N`: abre el formulario de cierre (o `cerrar HD-N causa resumen…`,
  `cerrar HD-N otra causa | resumen…`,
  `cerrar HD-N spam`, `cerrar HD-N duplicado HD-M`)
• `reabrir HD-N motivo`
• `turno entrar|salir|lista`: con asignación automática, los tickets nuevos se reparten
  entre quienes están en turno
• `fusionar HD-A HD-B`: el mismo problema dos veces; A se cierra como duplicado y lo que
  llegue de A va a B (al proveedor de A se le avisa)
• `nuevo`: abrir un ticket para un proveedor que llamó o escribió (o, en la terminal,
  `nuevo telefono|correo correo@proveedor usuario tipo descripción…`)
• `reporte [semana|mes] [cliente] [publicar]`: el reporte con gráfica, por mensaje directo
  (o en el canal, líderes); también `reporte --desde AAAA-MM-DD --hasta AAAA-MM-DD`
• `exportar [semana|mes] [cliente] [xlsx|csv]`: la hoja de tickets por mensaje directo
  (líderes); también con `--desde … --hasta … --cliente …`
• `equipo agregar|quitar|lista [@persona] [tecnico|lider]` (líderes)
• `cliente lista|ver|alta|suspender|reactivar|plan|rfc|aceptar …` (líderes)"""


def form_hint(form: Form, number: int) -> str:
    """What to type instead of a modal, where no modal can open (the command line)."""
    code = ticket_code(number)
    hints = {
        Form.REPLY: f"Escriba el texto: `responder {code} texto`.",
        Form.NOTE: f"Escriba la nota: `nota {code} texto`.",
        Form.CALL: f"Escriba de qué se habló: `llamada {code} texto`.",
        Form.REOPEN: f"Escriba el motivo: `reabrir {code} motivo`.",
        Form.ASSIGN: f"Indique a la persona: `tomar {code} @persona`.",
        Form.CLOSE: "Indique la causa y el resumen: `cerrar HD-N causa resumen…` "
        f"(causas: {', '.join(CAUSES)}; con `otra`: `cerrar HD-N otra causa | resumen…`), "
        "`cerrar HD-N spam` o `cerrar HD-N duplicado HD-M`.",
        Form.NEW: f"{NEW_USAGE} (tipos: {', '.join(INCIDENT_BY_KEY)}).",
    }
    return hints[form]
