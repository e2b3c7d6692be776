"""A click is answered to Slack at once, whatever Slack's own API is doing; the work it asks
for follows the ack, and a stop ends it in bounded time."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from store import tickets as store
from tests.desk import Desk, block_action, slack_env
from tests.fakes.slack import FakeSlack

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1"}


@pytest.fixture
async def desk(start_desk, fake_slack: FakeSlack) -> Desk:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    assert (await desk.submit()).status == 303
    await fake_slack.wait_for(lambda: fake_slack.cards())
    return desk


async def test_a_click_is_acked_while_slack_is_slow_and_its_change_follows(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postEphemeral", times=1, stall_s=2)
    started = time.monotonic()
    response = await desk.slack(block_action("ticket_tomar", "1"))
    acked_in = time.monotonic() - started
    assert response.status == 200
    # Slack gives up after 3 s and shows the person an error; the whisper alone stalls 2 s.
    assert acked_in < 1.5, acked_in
    await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"), timeout=10)
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee == "U0TECH1"


async def test_a_stop_ends_what_follows_an_ack_in_bounded_time(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postEphemeral", times=1, stall_s=60)
    assert (await desk.slack(block_action("ticket_tomar", "1"))).status == 200
    await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"))
    # The change was saved before the whisper that hangs.
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee == "U0TECH1"
    started = time.monotonic()
    await desk.stop()
    assert time.monotonic() - started < 5


async def test_a_failure_after_the_ack_is_counted_where_operators_look(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    fake_slack.fail("chat.postEphemeral", times=1, error="channel_not_found")
    assert (await desk.slack(block_action("ticket_tomar", "1"))).status == 200
    await fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postEphemeral"))
    ticket = await store.get_ticket(desk.services.db, 1)
    assert ticket is not None and ticket.assignee == "U0TECH1"  # the change itself was saved

    async def failures() -> float:
        text = (await desk.get("/metrics")).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "hib2b_after_ack_failures_total":
                    assert sample.labels == {"work": "ticket_tomar"}
                    return sample.value
        return 0.0

    # The failure lands as Slack's answer reaches the task: look, as an operator would, until
    # it shows (bounded).
    async with asyncio.timeout(5):
        while await failures() != 1:
            await asyncio.sleep(0.02)


async def test_answers_to_clicks_share_one_connection_to_slack(
    desk: Desk, fake_slack: FakeSlack
) -> None:
    """Slack is HTTPS: a connection per whisper is a TLS handshake per click."""
    for action in ("ticket_tomar", "ticket_tomar", "ticket_tomar"):
        assert (await desk.slack(block_action(action, "1"))).status == 200
    whispers = await fake_slack.wait_for(
        lambda: (
            len(fake_slack.calls_to("chat.postEphemeral")) == 3
            and fake_slack.calls_to("chat.postEphemeral")
        )
    )
    assert len({call.peer for call in whispers}) == 1, [call.peer for call in whispers]
