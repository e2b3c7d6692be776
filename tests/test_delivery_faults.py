"""Slack or SMTP slow, failing or down: the form still answers at once, nothing is lost, and
nothing reaches anyone twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

from bot.delivery.queue import retry_delay
from store import outbox as queue
from store import tickets as store
from tests import samples
from tests.conftest import smtp_env
from tests.desk import run_cli_async, slack_env
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

ROOT = Path(__file__).resolve().parent.parent


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    assert retry_delay(1, 2.0, 300.0, None, rand=lambda: 0.0) == 1.0
    assert retry_delay(1, 2.0, 300.0, None, rand=lambda: 1.0) == 2.0
    assert retry_delay(4, 2.0, 300.0, None, rand=lambda: 1.0) == 16.0
    assert retry_delay(30, 2.0, 300.0, None, rand=lambda: 1.0) == 300.0  # capped
    assert retry_delay(1, 2.0, 300.0, 30.0, rand=lambda: 0.0) == 30.0
    spread = {round(retry_delay(3, 2.0, 300.0, None), 3) for _ in range(50)}
    assert len(spread) > 10 and all(4.0 <= d <= 8.0 for d in spread)


async def test_slack_down_then_back(start_desk, fake_slack: FakeSlack, smtp: FakeSmtp) -> None:
    fake_slack.fail("*", times=6, status=503)
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp))
    started = time.monotonic()
    response = await desk.submit(files=[("factura.pdf", samples.PDF)])
    assert response.status == 303 and time.monotonic() - started < 1.0
    await smtp.wait_for(1)  # email does not wait for Slack
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=15)
    await fake_slack.wait_for(
        lambda: any(f.get("thread_ts") == card["ts"] for f in fake_slack.files.values())
    )
    assert len(fake_slack.calls_to("chat.postMessage")) >= 2
    assert len(fake_slack.cards()) == 1


async def test_rate_limited_post_waits_for_retry_after(start_desk, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
    desk = await start_desk(**slack_env(fake_slack.url))
    await desk.submit()
    await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=10)
    first, second = fake_slack.calls_to("chat.postMessage")[:2]
    assert second.at - first.at >= 1.0
    delivery = await _delivery_when(desk, "hd-1:card", lambda d: d.status == "done")
    assert delivery.attempts == 2


async def test_permanent_slack_error_is_failed_visible_and_retriable(
    start_desk, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.fail("chat.postMessage", times=1, error="not_in_channel")
    env = slack_env(fake_slack.url)
    desk = await start_desk(**env)
    await desk.submit()
    await _delivery_when(desk, "hd-1:card", lambda d: d.status == "failed")
    health = json.loads((await desk.get("/healthz")).text)
    assert health["status"] == "degraded" and health["deliveries"]["failed"] == 1
    assert "not_in_channel" not in json.dumps(health)  # error texts are for the server only
    await asyncio.sleep(0.3)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1  # no loop

    # The operator invites the app to the channel, then retries from the command line.
    listing = await _cli(tmp_path, env, "entregas")
    assert "hd-1:card" in listing.stdout and "not_in_channel" in listing.stdout
    retried = await _cli(tmp_path, env, "entregas", "reintentar")
    assert retried.returncode == 0 and retried.stdout.startswith("1 entrega")
    await fake_slack.wait_for(lambda: fake_slack.cards(), timeout=10)
    health = json.loads((await desk.get("/healthz")).text)
    assert health["status"] == "ok"


async def _delivery_when(desk, key: str, predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = await queue.get_delivery(desk.services.db, key)
        if delivery is not None and predicate(delivery):
            return delivery
        await asyncio.sleep(0.02)
    raise AssertionError(f"{key}: {delivery}")


async def _cli(
    tmp_path: Path,
    env: dict[str, str],
    *args: str,
) -> subprocess.CompletedProcess[str]:
    data = {"HIB2B_DATA_DIR": str(tmp_path / "data"), "HIB2B_SECRET_KEY": "k" * 40}
    return await run_cli_async(tmp_path, {**env, **data}, *args)


async def test_smtp_down_then_back(start_desk, fake_slack: FakeSlack) -> None:
    smtp = FakeSmtp().start()
    port = smtp.port
    smtp.stop()  # nothing listens on the port now
    desk = await start_desk(**slack_env(fake_slack.url), **smtp_env(smtp))
    started = time.monotonic()
    assert (await desk.submit()).status == 303
    assert time.monotonic() - started < 1.0
    await fake_slack.wait_for(lambda: fake_slack.cards())  # Slack does not wait for email
    await asyncio.sleep(0.3)
    revived = FakeSmtp(port=port).start()
    try:
        [mail] = await revived.wait_for(1, timeout=10)
        assert mail["Subject"].startswith("[HD-1]")
    finally:
        revived.stop()


async def test_smtp_temporary_refusal_is_retried(start_desk, smtp: FakeSmtp) -> None:
    smtp.inbox.refuse = 451
    desk = await start_desk(**smtp_env(smtp))
    await desk.submit()
    delivery = await _delivery_when(desk, "hd-1:mail:creado", lambda d: d.attempts >= 2)
    assert "451" in delivery.last_error
    smtp.inbox.refuse = None
    await smtp.wait_for(1, timeout=10)


async def test_smtp_permanent_refusal_is_failed(start_desk, smtp: FakeSmtp) -> None:
    smtp.inbox.refuse = 550
    desk = await start_desk(**smtp_env(smtp))
    await desk.submit()
    delivery = await _delivery_when(desk, "hd-1:mail:creado", lambda d: d.status == "failed")
    assert "550" in delivery.last_error


async def test_card_sent_but_not_recorded_is_found_not_posted_twice(
    start_desk, fake_slack: FakeSlack
) -> None:
    # Slack takes the card, then the service stops before it hears back.
    fake_slack.fail("chat.postMessage", times=1, stall_s=30, after_effect=True)
    env = slack_env(fake_slack.url)
    first = await start_desk(**env)
    await first.submit(files=[("factura.pdf", samples.PDF)])
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())
    await first.stop()

    second = await start_desk(**env)
    await fake_slack.wait_for(
        lambda: any(f.get("thread_ts") == card["ts"] for f in fake_slack.files.values()), timeout=10
    )
    assert len(fake_slack.cards()) == 1
    history = fake_slack.calls_to("conversations.history")
    assert history and history[0].args["include_all_metadata"] in ("1", "true", True)
    ticket = await store.get_ticket(second.services.db, 1)
    assert ticket is not None and ticket.slack_ts == card["ts"]


async def test_email_resent_after_crash_keeps_its_message_id(start_desk, smtp: FakeSmtp) -> None:
    smtp.inbox.stall_s = 3  # the server keeps the mail; the service stops before the answer
    first = await start_desk(**smtp_env(smtp))
    await first.submit()
    await smtp.wait_for(1)
    await first.stop()
    smtp.inbox.stall_s = 0
    await start_desk(**smtp_env(smtp))
    one, two = await smtp.wait_for(2, timeout=10)
    assert one["Message-ID"] == two["Message-ID"]
    # Rendered once (MIME boundaries are random): the resend is byte for byte the same email.
    assert one.as_bytes() == two.as_bytes()


async def test_a_rate_limit_pauses_the_whole_lane(start_desk, fake_slack: FakeSlack) -> None:
    """Slack limits posts per channel: after a 429 nothing is posted until its Retry-After,
    whichever ticket it is for, so three cards cost four posts, not a retry storm."""
    fake_slack.fail("chat.postMessage", times=1, status=429, retry_after=1)
    desk = await start_desk(**slack_env(fake_slack.url))
    for _ in range(3):
        await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 3, timeout=15)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 4
    limited, *after = posts
    assert all(post.at - limited.at >= 1.0 for post in after)
    assert len(fake_slack.calls_to("conversations.history")) <= 4


async def test_cards_share_one_connection_to_slack(start_desk, fake_slack: FakeSlack) -> None:
    """Slack is HTTPS: a connection per call is a TLS handshake per card."""
    desk = await start_desk(**slack_env(fake_slack.url))
    for _ in range(3):
        await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 3)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len({call.peer for call in posts}) == 1, [call.peer for call in posts]


async def test_a_connection_slack_closed_is_replaced_and_nothing_is_lost(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url))
    await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 1)
    await fake_slack.restart()  # every kept-alive connection is closed
    await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 2, timeout=15)
    assert [c["text"].split(" ", 1)[0] for c in fake_slack.cards()] == ["HD-1", "HD-2"]


async def test_emails_share_one_connection_to_the_mail_server(start_desk, smtp: FakeSmtp) -> None:
    desk = await start_desk(**smtp_env(smtp))
    for _ in range(3):
        await desk.submit()
    await smtp.wait_for(3)
    assert len(set(smtp.inbox.peers)) == 1, smtp.inbox.peers


async def test_a_connection_the_mail_server_closed_is_replaced_and_nothing_is_sent_twice(
    start_desk, smtp: FakeSmtp
) -> None:
    desk = await start_desk(**smtp_env(smtp))
    await desk.submit()
    await smtp.wait_for(1)
    smtp.stop()  # the kept connection is closed with the server
    smtp.start()
    await desk.submit()
    await smtp.wait_for(2)
    await desk.drained()
    subjects = [str(m["Subject"]).split(" ", 1)[0] for m in smtp.messages]
    assert subjects == ["[HD-1]", "[HD-2]"]
    assert len(set(smtp.inbox.peers)) == 2
