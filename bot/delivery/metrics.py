"""What `GET /metrics` shows, in Prometheus' text format (prometheus-client).

Counted as things happen (since the service started): deliveries done by lane, reminders sent
by clock and stage, the watcher's passes, HTTP requests by route. Read when scraped: tickets by
status, deliveries not yet done by lane and state, restarts of each worker. Labels are only
statuses, lanes, clocks, stages, worker names and route patterns: no person, address or text of
a ticket ever reaches a label.

Each runtime has a registry of its own (a process may run several desks: the tests do)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

# The classic text format (what `generate_latest` writes), which every Prometheus reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Scraped:
    """What is read when `/metrics` is asked for."""

    tickets: dict[str, int] = field(default_factory=dict)  # status -> how many
    deliveries: dict[tuple[str, str], int] = field(default_factory=dict)  # (lane, state) -> n
    restarts: dict[str, int] = field(default_factory=dict)  # worker -> restarts


class _ScrapedCollector:
    def __init__(self) -> None:
        self.scraped = Scraped()

    def collect(self) -> Iterator[Metric]:
        tickets = GaugeMetricFamily("hib2b_tickets", "Tickets by status.", labels=["status"])
        for status, count in sorted(self.scraped.tickets.items()):
            tickets.add_metric([status], count)
        yield tickets
        deliveries = GaugeMetricFamily(
            "hib2b_deliveries",
            "Deliveries not yet done (pending, sending, failed), by lane and state.",
            labels=["lane", "state"],
        )
        for (lane, state), count in sorted(self.scraped.deliveries.items()):
            deliveries.add_metric([lane, state], count)
        yield deliveries
        restarts = CounterMetricFamily(
            "hib2b_worker_restarts",
            "Restarts of each background worker since the service started.",
            labels=["worker"],
        )
        for worker, count in sorted(self.scraped.restarts.items()):
            restarts.add_metric([worker], count)
        yield restarts


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._scraped = _ScrapedCollector()
        self.registry.register(self._scraped)  # type: ignore[arg-type]
        self.delivered = Counter(
            "hib2b_deliveries_done",
            "Deliveries done since the service started, by lane.",
            ["lane"],
            registry=self.registry,
        )
        self.reminders = Counter(
            "hib2b_reminders_sent",
            "SLA reminders posted since the service started, by clock and stage.",
            ["clock", "stage"],
            registry=self.registry,
        )
        self.watcher_pass = Histogram(
            "hib2b_watcher_pass_seconds",
            "Seconds each of the SLA watcher's passes took.",
            registry=self.registry,
        )
        self.after_ack_failures = Counter(
            "hib2b_after_ack_failures",
            "Work following a Slack ack (a click's change, a whisper) that failed, by what.",
            ["work"],
            registry=self.registry,
        )
        self.requests = Histogram(
            "hib2b_http_request_seconds",
            "Seconds to answer an HTTP request, by route pattern and method.",
            ["route", "method"],
            registry=self.registry,
        )

    def text(self, scraped: Scraped) -> bytes:
        self._scraped.scraped = scraped
        return generate_latest(self.registry)
