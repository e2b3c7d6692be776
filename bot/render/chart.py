"""A period's report as a picture: tickets received and closed per day, and compliance per
severity and per client, drawn with matplotlib's Agg renderer into PNG or PDF bytes (the PDF
adds a page with the text summary).

Pure but slow (tens to hundreds of milliseconds): callers run it in a thread. Only matplotlib's
object API is used (no pyplot and its global state), so two reports drawn at once in two threads
do not share a figure. matplotlib is imported on first use: the service starts without it."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.domain.period_report import NO_CLIENT, PeriodReport, Share
from bot.domain.terms import Severity
from bot.render.period import plain_text, title

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "pdf")
CLIENTS_DRAWN = 8
RECEIVED, CLOSED = "#4a6fa5", "#7fb069"
FIRST_CONTACT, RESOLUTION = "#4a6fa5", "#e4a15b"
BARS_UP_TO_DAYS = 62  # longer periods are drawn as lines: a bar a day would be a smear


def draw(report: PeriodReport, client_names: Mapping[str, str], fmt: str = "png") -> bytes:
    """The chart as `fmt` (png or pdf) bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"formato {fmt!r}: use png o pdf")
    figure = _figure(report, client_names)
    out = io.BytesIO()
    if fmt == "png":
        figure.savefig(out, format="png", dpi=100)
        return out.getvalue()
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    summary = Figure(figsize=(8.27, 11.69))  # A4, for printing
    summary.text(
        0.06,
        0.96,
        _literal(plain_text(report, client_names)),
        va="top",
        family="DejaVu Sans",
        fontsize=9,
    )
    with PdfPages(out, metadata={"Title": title(report, client_names)}) as pdf:
        pdf.savefig(figure)
        pdf.savefig(summary)
    return out.getvalue()


def _figure(report: PeriodReport, client_names: Mapping[str, str]) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 7.5), layout="constrained")
    figure.suptitle(_literal(title(report, client_names)), fontsize=13)
    grid = figure.add_gridspec(2, 2, height_ratios=(1.1, 1))
    _per_day(figure.add_subplot(grid[0, :]), report)
    severities = [s for s in reversed(Severity)]
    _compliance(
        figure.add_subplot(grid[1, 0]),
        "Cumplimiento por severidad",
        [s.label for s in severities],
        [report.first_contact_by_severity.get(s.value) for s in severities],
        [report.resolution_by_severity.get(s.value) for s in severities],
    )
    keys = sorted(
        set(report.first_contact_by_client) | set(report.resolution_by_client),
        key=lambda key: (
            -_total(report.first_contact_by_client.get(key))
            - _total(report.resolution_by_client.get(key))
        ),
    )[:CLIENTS_DRAWN]
    _compliance(
        figure.add_subplot(grid[1, 1]),
        "Cumplimiento por cliente"
        + (" (los de más tickets)" if len(keys) == CLIENTS_DRAWN else ""),
        [
            _literal(_short(client_names.get(k, k) if k != NO_CLIENT else "Sin cliente"))
            for k in keys
        ],
        [report.first_contact_by_client.get(k) for k in keys],
        [report.resolution_by_client.get(k) for k in keys],
    )
    return figure


def _per_day(axes: Axes, report: PeriodReport) -> None:
    days = list(report.received)
    received = [report.received[day] for day in days]
    closed = [report.closed[day] for day in days]
    positions = range(len(days))
    if len(days) <= BARS_UP_TO_DAYS:
        width = 0.4
        axes.bar(
            [p - width / 2 for p in positions], received, width, label="Recibidos", color=RECEIVED
        )
        axes.bar([p + width / 2 for p in positions], closed, width, label="Cerrados", color=CLOSED)
    else:
        axes.plot(positions, received, label="Recibidos", color=RECEIVED)
        axes.plot(positions, closed, label="Cerrados", color=CLOSED)
    step = max(1, len(days) // 14)
    axes.set_xticks(list(positions)[::step], [f"{day:%d/%m}" for day in days][::step])
    axes.set_title("Tickets por día", fontsize=11)
    axes.set_ylabel("tickets")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=2, frameon=False, fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)


def _compliance(
    axes: Axes,
    heading: str,
    labels: list[str],
    first: list[Share | None],
    resolved: list[Share | None],
) -> None:
    axes.set_title(heading, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    if not labels or not any(_total(s) for s in first + resolved):
        axes.text(
            0.5,
            0.5,
            "Sin datos en el periodo",
            ha="center",
            va="center",
            transform=axes.transAxes,
            color="#666666",
        )
        axes.set_xticks([])
        axes.set_yticks([])
        return
    height = 0.38
    rows = range(len(labels))
    for offset, shares, color, label in (
        (-height / 2, first, FIRST_CONTACT, "Primer contacto a tiempo"),
        (height / 2, resolved, RESOLUTION, "Resolución a tiempo"),
    ):
        values = [share.percent or 0.0 if share and share.total else 0.0 for share in shares]
        bars = axes.barh([r + offset for r in rows], values, height, color=color, label=label)
        # Rounded down, as the text summary says it: 99.9 % on time is not 100 %.
        texts = [f"{s.on_time * 100 // s.total} %" if s and s.total else "—" for s in shares]
        axes.bar_label(bars, texts, padding=2, fontsize=8)
    axes.set_yticks(list(rows), labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 115)
    axes.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100 %"])
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, frameon=False, fontsize=8)


def _literal(text: str) -> str:
    """Text drawn as typed: matplotlib reads `$…$` as a formula (and fails on a broken one)."""
    return text.replace("$", r"\$")


def _total(share: Share | None) -> int:
    return share.total if share else 0


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
