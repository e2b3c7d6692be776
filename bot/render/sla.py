"""`/hib2b sla` rendered: where the desk stands against its promises (`render`) and one
ticket's clocks explained (`explain`). Pure; `bot.cases.reports` gathers the figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain.change import mention
from bot.domain.clocks import CLOCK_LABELS, SlaPolicy
from bot.domain.reports import SHOWN, Alert, Compliance, Report
from bot.domain.terms import STATUS_LABELS, Severity, Status, ticket_code
from bot.render.card import Message
from store.models import Ticket

When = Callable[[datetime], str]  # per list, so the message stays within Slack's limits


def business(span: timedelta) -> str:
    """“2 h 15 min”, business time."""
    minutes = int(abs(span).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _median_text(span: timedelta | None) -> str:
    return f"{business(span)} hábiles" if span is not None else "—"


def _share(part: int, whole: int) -> str:
    return f"{part * 100 // whole} %" if whole else "—"


def _alert_line(alert: Alert, when: When) -> str:
    left = (
        f"vencido hace {business(alert.left)} hábiles"
        if alert.left < timedelta(0)
        else f"quedan {business(alert.left)} hábiles"
    )
    return (
        f"• *{ticket_code(alert.number)}* · {CLOCK_LABELS[alert.clock]} · vence "
        f"{when(alert.due)} · {left} · {mention(alert.assignee)}"
    )


def _alert_section(title: str, alerts: list[Alert], total: int | None, when: When) -> str:
    total = len(alerts) if total is None else total
    lines = [_alert_line(a, when) for a in alerts[:SHOWN]]
    if total > len(lines):
        lines.append(f"… y {total - len(lines)} más: `/hib2b lista vencidos`")
    return f"*{title} ({total})*\n" + ("\n".join(lines) or "_Ninguno._")


def _total(alerts: list[Alert], total: int | None) -> int:
    return len(alerts) if total is None else total


def _ratings_line(c: Compliance) -> str:
    count, average = c.rated
    if not count:
        return "\nSatisfacción: sin calificaciones"
    people = sorted(c.ratings, key=lambda item: (-item[1], item[0]))[:5]
    each = " · ".join(
        f"{mention(user) if user else 'sin técnico'} {avg:.1f} ({n})" for user, n, avg in people
    )
    plural = "calificación" if count == 1 else "calificaciones"
    line = f"\nSatisfacción: {average:.1f} de 5 en {count} {plural} · {each}"
    clients = sorted(c.ratings_by_client, key=lambda item: (-item[1], item[0]))[:5]
    if clients:
        line += "\nPor cliente: " + " · ".join(
            f"{f'`{key}`' if key else 'sin cliente'} {avg:.1f} ({n})" for key, n, avg in clients
        )
    return line


def render(report: Report, when: When, title: str = "SLA de la mesa de ayuda") -> Message:
    """`when` writes an instant: `<!date…>` for Slack, local text for the command line."""
    total = sum(report.by_status.values())
    # In the order a reader expects (new → in progress → waiting; low → critical), not by key.
    status = " · ".join(
        f"{STATUS_LABELS[s]}: {report.by_status[s.value]}"
        for s in Status
        if report.by_status.get(s.value)
    )
    severity = " · ".join(
        f"{s.label}: {report.by_severity[s.value]}"
        for s in Severity
        if report.by_severity.get(s.value)
    )
    load = sorted(report.load.items(), key=lambda item: -item[1])
    load_lines = [f"{mention(user) if user else 'Sin asignar'}: {n}" for user, n in load[:15]]
    if len(load) > 15:
        load_lines.append(f"… y {len(load) - 15} más")
    sections = [
        f"*Abiertos: {total}*\n{status or '—'}\n{severity}",
        _alert_section(":rotating_light: Vencidos", report.breached, report.breached_total, when),
        _alert_section(
            ":warning: En riesgo (más del 75 % usado)", report.at_risk, report.at_risk_total, when
        ),
        "*Carga por técnico (abiertos)*\n" + (" · ".join(load_lines) or "—"),
    ]
    for c in report.compliance:
        sections.append(
            f"*Cumplimiento, últimos {c.days} días*\n"
            f"Primer contacto: {c.contacts} · a tiempo {_share(c.contacts_on_time, c.contacts)}"
            f" · antes del objetivo {_share(c.contacts_before_target, c.contacts)}"
            f" · mediana {_median_text(c.contact_median)}\n"
            f"Resolución: {c.resolved} · a tiempo {_share(c.resolved_on_time, c.resolved)}"
            f" · antes del objetivo {_share(c.resolved_before_target, c.resolved)}"
            f" · mediana {_median_text(c.resolution_median)}" + _ratings_line(c)
        )
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title[:150]))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=text[:2900])) for text in sections]
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Al {when(report.now)} · tiempos en horas hábiles")]
        )
    )
    plain = "\n\n".join(sections)
    return Message(
        text=f"SLA: {total} abiertos, {_total(report.breached, report.breached_total)} vencidos, "
        f"{_total(report.at_risk, report.at_risk_total)} en riesgo",
        blocks=[b.to_dict() for b in blocks],
        metadata={},
        plain=plain,
    )


def explain(
    ticket: Ticket,
    audit: list[dict[str, Any]],
    reminders: list[dict[str, Any]],
    policy: SlaPolicy,
    now: datetime,
    when: When,
) -> str:
    """One ticket's clocks in words: starts, pauses, business time used, what was skipped."""
    cal, code = policy.calendar, ticket_code(ticket.number)
    lines = [
        f"*{code}* · severidad {Severity(ticket.severity).label} · "
        f"{STATUS_LABELS[Status(ticket.status)]}"
    ]
    target, deadline = policy.first_contact
    lines.append(
        f"*Primer contacto* ({business(target)}–{business(deadline)} hábiles): desde "
        f"{when(ticket.created_at)}"
    )
    if ticket.fc_due_at:
        lines.append(
            f"  objetivo {when(ticket.fc_target_at or ticket.fc_due_at)},"
            f" vence {when(ticket.fc_due_at)}"
        )
        skipped = cal.closed_days_between(ticket.created_at, ticket.fc_due_at)
        if skipped:
            lines.append(
                "  días cerrados en el plazo: "
                + ", ".join(f"{day:%d/%m} ({reason})" for day, reason in skipped)
            )
    if ticket.first_contact_at:
        used = timedelta(seconds=ticket.fc_business_s or 0)
        on_time = ticket.fc_due_at is None or ticket.first_contact_at <= ticket.fc_due_at
        lines.append(
            f"  hecho {when(ticket.first_contact_at)} tras "
            f"{business(used)} hábiles: {'a tiempo' if on_time else 'tarde'}"
        )
    elif ticket.status != Status.CERRADO:
        lines.append(
            "  corriendo: lleva "
            f"{business(cal.elapsed(ticket.created_at, max(now, ticket.created_at)))} hábiles"
        )
    r_target, r_deadline = policy.budget(ticket.severity)
    lines.append(
        f"*Resolución* ({business(r_target)}–{business(r_deadline)} hábiles desde el "
        f"primer contacto, generación {ticket.res_gen})"
    )
    used = timedelta(seconds=ticket.res_used_s)
    if ticket.res_started_at:
        used += cal.elapsed(ticket.res_started_at, max(now, ticket.res_started_at))
        lines.append(
            f"  corriendo desde {when(ticket.res_started_at)}; vence "
            f"{when(ticket.res_due_at or now)}"
        )
    elif ticket.res_gen == 0:
        lines.append("  aún no empieza (espera el primer contacto)")
    elif ticket.status == Status.CERRADO:
        lines.append(f"  detenido al cerrar: {'a tiempo' if used <= r_deadline else 'tarde'}")
    else:
        lines.append("  en pausa: se espera al proveedor")
    lines.append(f"  tiempo hábil usado: {business(used)} de {business(r_deadline)}")
    pauses = [e for e in audit if e["action"] in ("esperando", "reanudado")]
    if pauses:
        lines.append(
            "  pausas: "
            + ", ".join(
                f"{'inicio' if e['action'] == 'esperando' else 'fin'} "
                f"{when(datetime.fromisoformat(e['at']))}"
                for e in pauses
            )
        )
    sent = [r for r in reminders if r["sent"]]
    lines.append(
        "*Recordatorios enviados:* "
        + (
            ", ".join(f"{CLOCK_LABELS[r['clock']]} {r['stage'].replace('_', ' ')}" for r in sent)
            or "ninguno"
        )
    )
    if ticket.sla_next_at:
        lines.append(f"*Siguiente:* {when(ticket.sla_next_at)}")
    return "\n".join(lines)
