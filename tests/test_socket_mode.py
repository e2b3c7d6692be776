"""Socket Mode: the same listeners, reached over a websocket that speaks Slack's envelope/ack
protocol, played by the fake Slack."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from tests.desk import block_action, slack_env, slash_command
from tests.fakes.slack import FakeSlack


async def test_socket_mode_button_and_command(start_desk, fake_slack: FakeSlack) -> None:
    env = slack_env(fake_slack.url, SLACK_APP_TOKEN="xapp-1-test", HIB2B_TECHNICIANS="U0TECH1")
    env.pop("SLACK_SIGNING_SECRET")
    desk = await start_desk(**env)
    assert desk.settings.mode == "socket"
    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.args.get("token", "") in ("", "xapp-1-test")

    await desk.submit()
    action = json.loads(dict(parse_qsl(block_action("ticket_cerrar", "1")))["payload"])
    await fake_slack.send_envelope("interactive", action, "env-1")
    await fake_slack.wait_for(lambda: "env-1" in fake_slack.envelopes_acked)
    [call] = await fake_slack.wait_for(lambda: fake_slack.calls_to("views.open"))
    view = call.args["view"]
    assert (json.loads(view) if isinstance(view, str) else view)["callback_id"] == "hib2b_cerrar"

    command = dict(parse_qsl(slash_command("ayuda")))
    await fake_slack.send_envelope("slash_commands", command, "env-2")
    acked = await fake_slack.wait_for(lambda: fake_slack.envelopes_acked.get("env-2"))
    assert "`ver HD-N`" in acked["payload"]["text"]
    # No HTTP endpoint for Slack in Socket Mode.
    assert (await desk.get("/slack/events")).status in (404, 405)
