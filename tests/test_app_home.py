"""App Home through signed Events API requests to the real app (and over Socket Mode), the
fake Slack refusing any view Block Kit would refuse: the lists a technician needs, the SLA
summary for leads, a refresh after the person's own actions, limits kept at any size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bot.domain.home import SHOWN, Home, Listed
from bot.render import home as home_render
from tests.desk import GOOD, Desk, block_action, home_action, home_opened, slack_env, slash_command
from tests.fakes.slack import FakeSlack, view_problems

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1,U0TECH2", "HIB2B_LEADS": "U0LEAD"}


def texts(view: dict[str, Any]) -> str:
    """Every text of the view, in order, one per line."""
    found = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                text = element["text"]
                found.append(text if isinstance(text, str) else text.get("text", ""))
    return "\n".join(found)


def section_of(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if code in b.get("text", {}).get("text", ""))


async def open_home(desk: Desk, fake_slack: FakeSlack, user: str) -> dict[str, Any]:
    before = len(fake_slack.calls_to("views.publish"))
    response = await desk.slack(home_opened(user), content_type="application/json")
    assert response.status == 200
    await fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > before)
    assert not fake_slack.refused_views
    return fake_slack.homes[user]


async def test_a_technician_sees_mine_unassigned_and_due_with_buttons(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    for _ in range(3):
        assert (await desk.submit({**GOOD, "usuario": "<!channel> prov*eedor"})).status == 303
    await desk.drained()
    await desk.slack(slash_command("tomar 2"))

    view = await open_home(desk, fake_slack, "U0TECH1")
    shown = texts(view)
    assert "*Mis tickets (1)*" in shown and "*Sin asignar (2)*" in shown
    mine = section_of(view, "HD-2")
    assert mine["accessory"]["action_id"] == "ticket_responder"
    assert "https://slack.com/archives/C0SUPPORT/p" in mine["text"]["text"]  # its card
    assert "primer contacto vence <!date^" in mine["text"]["text"]
    assert "&lt;!channel&gt;" in mine["text"]["text"] and "<!channel>" not in shown
    free = section_of(view, "HD-1")
    assert free["accessory"]["action_id"] == "ticket_tomar"
    assert free["accessory"]["value"] == "1"
    assert "SLA de la mesa de ayuda" not in shown  # the summary is for leads

    # Taking one from Home: acked at once, then Home shows it as theirs (no message needed).
    clicked = await desk.slack(home_action("ticket_tomar", "1"))
    assert clicked.status == 200
    await fake_slack.wait_for(lambda: "*Mis tickets (2)*" in texts(fake_slack.homes["U0TECH1"]))
    assert not fake_slack.calls_to("chat.postEphemeral")
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == "U0TECH1"
    ]


async def test_home_follows_the_persons_own_actions_elsewhere(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    await desk.submit()
    await desk.drained()
    await open_home(desk, fake_slack, "U0TECH1")
    published = len(fake_slack.calls_to("views.publish"))
    await desk.slack(block_action("ticket_tomar", "1"))  # from the card in the channel
    await fake_slack.wait_for(lambda: "*Mis tickets (1)*" in texts(fake_slack.homes["U0TECH1"]))
    # Someone who never opened Home costs no call.
    await desk.slack(slash_command("soltar 1", user="U0TECH2"))
    await desk.slack(slash_command("lista", user="U0TECH2"))
    assert "U0TECH2" not in fake_slack.homes
    assert len(fake_slack.calls_to("views.publish")) == published + 1


async def test_a_lead_sees_the_sla_summary_and_strangers_a_notice(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    await desk.submit()
    await desk.drained()
    lead = texts(await open_home(desk, fake_slack, "U0LEAD"))
    assert "SLA de la mesa de ayuda" in lead and "Abiertos: 1" in lead
    stranger = texts(await open_home(desk, fake_slack, "U0NOBODY"))
    assert "equipo de soporte" in stranger and "HD-1" not in stranger


def test_a_full_desk_stays_within_block_kits_limits() -> None:
    long_name = "x" * 5000

    def listed(number: int) -> Listed:
        return Listed(number, "no_lo_se", long_name, "critico", "nuevo", None, ("C1", "1.2"))

    many = [listed(n) for n in range(1, 200)]
    home = Home(
        "U0LEAD",
        on_team=True,
        is_lead=True,
        mine=many,
        mine_total=4000,
        unassigned=many,
        unassigned_total=90_000,
        due_soon=many,
        due_soon_total=12_000,
        sla_blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 60,
    )
    view = home_render.view(home, lambda moment: "hoy")
    assert view_problems(view) == []
    shown = texts(view)
    assert f"… y {90_000 - SHOWN} más: `/hib2b lista sin-asignar`" in shown
    assert f"… y {4000 - SHOWN} más: `/hib2b lista mios`" in shown
    assert len(view["blocks"]) <= 100


async def test_home_over_socket_mode(start_desk, fake_slack: FakeSlack) -> None:
    env = slack_env(fake_slack.url, SLACK_APP_TOKEN="xapp-1-test", **TEAM)
    env.pop("SLACK_SIGNING_SECRET")
    desk = await start_desk(**env)
    await desk.submit()
    await desk.drained()
    event = json.loads(home_opened("U0TECH1"))
    await fake_slack.send_envelope("events_api", event, "env-home")
    await fake_slack.wait_for(lambda: "env-home" in fake_slack.envelopes_acked)
    view = await fake_slack.wait_for(lambda: fake_slack.homes.get("U0TECH1"))
    assert "*Sin asignar (1)*" in texts(view)


def test_the_manifest_declares_home_its_event_and_the_scopes_used() -> None:
    manifest = yaml.safe_load((Path(__file__).parent.parent / "manifest.yml").read_text())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # views.publish needs no scope; a DM needs im:write, a file files:write.
    assert {"im:write", "files:write", "chat:write", "commands"} <= scopes
