"""`GET /metrics`: Prometheus' text format, parsed with prometheus-client's own parser, from the
real service after real work; a bearer token when configured; nobody's data in it."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import smtp_env
from tests.desk import GOOD, Desk, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TOKEN = "metrics-token-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_what_the_desk_did_is_counted_and_nobody_is_named(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    desk: Desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp))
    assert (await desk.submit()).status == 303
    await fake_slack.wait_for(lambda: fake_slack.cards())
    await smtp.wait_for(1)
    await desk.drained()
    response = await desk.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    found = samples(response.text)
    assert value(found, "hib2b_tickets", status="nuevo") == 1
    assert value(found, "hib2b_deliveries_done_total", lane="slack") >= 1
    assert value(found, "hib2b_deliveries_done_total", lane="email") == 1
    assert value(found, "hib2b_deliveries", lane="email", state="pending") == 0
    posted = ("hib2b_http_request_seconds_count", (("method", "POST"), ("route", "/soporte")))
    assert found[posted] == 1
    assert value(found, "hib2b_worker_restarts_total", worker="outbox-slack") == 0
    assert value(found, "hib2b_watcher_pass_seconds_count") >= 1
    for personal in (GOOD["correo"], GOOD["usuario"], GOOD["descripcion"], "127.0.0.1"):
        assert personal not in response.text


async def test_a_configured_token_is_required(start_desk) -> None:
    desk: Desk = await start_desk(HIB2B_METRICS_TOKEN=TOKEN)
    assert (await desk.get("/metrics")).status == 401
    wrong = await desk.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    right = await desk.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status == 200 and "hib2b_tickets" in right.text


async def test_paths_asked_are_never_labels(start_desk) -> None:
    desk: Desk = await start_desk()
    await desk.get("/soporte/acme-secret-client")
    await desk.get("/no/such/page/xime@example.com")
    text = (await desk.get("/metrics")).text
    assert "acme-secret-client" not in text and "xime@example.com" not in text
    found = samples(text)
    assert value(found, "hib2b_http_request_seconds_count", method="GET", route="/soporte/{clave}")
    assert value(found, "hib2b_http_request_seconds_count", method="GET", route="unmatched")


async def test_reminders_are_counted_by_clock_and_stage(start_desk, fake_slack: FakeSlack) -> None:
    desk: Desk = await start_desk(
        **slack_env(fake_slack.url),
        HIB2B_BUSINESS_DAYS="mon-sun",
        HIB2B_BUSINESS_HOURS="00:00-24:00",
        HIB2B_HOLIDAYS="none",
        HIB2B_SLA_FIRST_CONTACT="1s,2s",
        HIB2B_WATCH_INTERVAL="0.1s",
    )
    await desk.submit()
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    await fake_slack.wait_for(
        lambda: len([m for m in fake_slack.replies(card["ts"]) if m.get("reply_broadcast")]) == 3,
        timeout=15,
    )
    await desk.drained()
    found = samples((await desk.get("/metrics")).text)
    sent = {
        labels: count
        for (name, labels), count in found.items()
        if name == "hib2b_reminders_sent_total"
    }
    assert sum(sent.values()) == 3 and len(sent) == 3
    assert all(dict(labels)["clock"] == "primer_contacto" for labels in sent)
