"""`hib2b estado`: the running service's health (`bot.delivery.health.details`) as lines for
an operator's terminal. Pure."""

from __future__ import annotations

from typing import Any

# The JSON keeps the English words monitoring tools match on; the terminal says them in Spanish.
SAID = {
    "ok": "bien",
    "degraded": "con fallas",
    "failing": "fallando",
    "writable": "se puede escribir",
    "not writable": "no se puede escribir",
    "running": "en marcha",
    "restarting": "reiniciando",
    "stopped": "detenido",
    "local": "local",
    "http": "http",
    "socket": "socket",
}


def _said(word: str) -> str:
    return SAID.get(word, word)


def plain(body: dict[str, Any]) -> str:
    """`details` as lines for an operator's terminal."""
    lines = [
        f"estado: {_said(body['status'])} (modo {body['mode']}; base de datos: "
        f"{_said(body['database'])})"
    ]
    if body.get("database_error"):
        lines.append(f"  base de datos: {body['database_error']}")
    if "replica" in body:
        lines.append(
            "  réplica: "
            + (
                "dirige (vigía del SLA, reportes, retención y buzón)"
                if body["replica"]["leader"]
                else "sigue a otra, que dirige"
            )
        )
    for name, w in sorted(body["workers"].items()):
        age = "nunca" if w["last_ok_age_s"] is None else f"hace {w['last_ok_age_s']:.0f}s"
        line = (
            f"  {name:<14} {_said(w['state']):<11} reinicios={w['restarts']:<3} último éxito {age}"
        )
        if w.get("stale"):
            line += " (atrasado)"
        lines.append(line)
        if w.get("last_error"):
            lines.append(f"      último error: {w['last_error']}")
    d = body["deliveries"]
    lines.append(
        f"  entregas: {d.get('pending', 0)} pendientes, {d.get('sending', 0)} enviándose, "
        f"{d.get('failed', 0)} fallidas; la más antigua espera desde hace {d['oldest_age_s']:.0f}s"
    )
    for failed in body.get("failed_deliveries", []):
        lines.append(f"      {failed['id']:>6} {failed['key']}: {failed['error']}")
    if "mailbox" in body:
        mailbox = body["mailbox"]
        lines.append(f"  buzón: {'conectado' if mailbox['connected'] else 'desconectado'}")
        if mailbox.get("last_error"):
            lines.append(f"      último error: {mailbox['last_error']}")
    return "\n".join(lines)
