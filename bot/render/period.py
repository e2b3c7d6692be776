"""A period's report as text: the summary posted with the chart in Slack (mrkdwn) and printed
or written into the PDF (plain). Pure."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.period_report import NO_CLIENT, PeriodReport, Share
from bot.domain.terms import CloseKind, Severity, ticket_code
from bot.domain.text import slack_escape

CLIENTS_SHOWN = 15
_SEVERITY = {severity.value: severity.label for severity in Severity}
TITLE = "Reporte de soporte HiB2B"


def _share(share: Share | None) -> str:
    if share is None or not share.total:
        return "—"
    return f"{share.on_time * 100 // share.total} % ({share.on_time} de {share.total})"


def _outcomes(report: PeriodReport) -> str:
    words = {
        CloseKind.RESUELTO: ("resuelto", "resueltos"),
        CloseKind.SPAM: ("spam", "spam"),
        CloseKind.DUPLICADO: ("duplicado", "duplicados"),
    }
    parts = []
    for kind, (one, many) in words.items():
        count = report.outcomes.get(kind.value, 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return f" ({', '.join(parts)})" if parts else ""


def _csat(report: PeriodReport) -> str:
    if report.csat is None:
        return "sin calificaciones en el periodo"
    count = len(report.ratings)
    return (
        f"{report.csat:.0f} % de satisfechos (4 o 5 de 5) en {count} "
        f"calificaci{'ón' if count == 1 else 'ones'}"
    )


def title(report: PeriodReport, client_names: Mapping[str, str]) -> str:
    of = f" · {client_names.get(report.client, report.client)}" if report.client else ""
    return f"{TITLE} · {report.period.label()}{of}"


def lines(report: PeriodReport, client_names: Mapping[str, str], bold: str = "*") -> list[str]:
    """The summary, a line each; `bold` is mrkdwn's `*` for Slack, empty for plain text.
    Client names are the desk's own, escaped for Slack all the same."""

    def name(key: str) -> str:
        shown = client_names.get(key, key) if key != NO_CLIENT else "Sin cliente"
        return slack_escape(shown) if bold else shown

    def heading(text: str) -> str:
        return f"{bold}{text}{bold}"

    out = [
        heading(slack_escape(title(report, client_names)) if bold else title(report, client_names)),
        f"Recibidos: {report.total_received} · Cerrados: {report.total_closed}" + _outcomes(report),
        f"Primer contacto a tiempo: {_share(report.first_contact)}",
        f"Resolución a tiempo: {_share(report.resolution)}",
        "",
        heading("Por severidad") + " (primer contacto · resolución)",
    ]
    for severity in reversed(Severity):
        first = report.first_contact_by_severity.get(severity.value)
        resolved = report.resolution_by_severity.get(severity.value)
        if first or resolved:
            out.append(f"• {severity.label}: {_share(first)} · {_share(resolved)}")
    if len(out) == 6:
        out.append("• —")
    clients = sorted(
        set(report.first_contact_by_client) | set(report.resolution_by_client),
        key=lambda key: (-_volume(report, key), name(key)),
    )
    if report.client is None and clients:
        out += ["", heading("Por cliente") + " (primer contacto · resolución)"]
        for key in clients[:CLIENTS_SHOWN]:
            out.append(
                f"• {name(key)}: {_share(report.first_contact_by_client.get(key))}"
                f" · {_share(report.resolution_by_client.get(key))}"
            )
        if len(clients) > CLIENTS_SHOWN:
            out.append(f"… y {len(clients) - CLIENTS_SHOWN} más: `hib2b exportar` los lista todos")
    out += ["", heading("Los más lentos en resolverse")]
    for slow in report.slowest:
        severity = _SEVERITY.get(slow.severity, slow.severity)
        out.append(
            f"• {ticket_code(slow.number)} · {name(slow.client)} · {severity}"
            f" · {slow.hours:.1f} h hábiles"
        )
    if not report.slowest:
        out.append("• Ningún ticket resuelto en el periodo.")
    out += ["", f"{heading('Satisfacción')}: {_csat(report)}"]
    return out


def _volume(report: PeriodReport, key: str) -> int:
    first = report.first_contact_by_client.get(key)
    resolved = report.resolution_by_client.get(key)
    return (first.total if first else 0) + (resolved.total if resolved else 0)


def slack_text(report: PeriodReport, client_names: Mapping[str, str]) -> str:
    return "\n".join(lines(report, client_names))


def plain_text(report: PeriodReport, client_names: Mapping[str, str]) -> str:
    return "\n".join(lines(report, client_names, bold=""))
