"""Shifts and the round-robin on the real service: off by default; on, each new supplier
ticket (form, API, email) goes to the next technician on shift, in turn, with the usual
assignment (thread, supplier's email); nobody on shift leaves it unassigned; App Home lists
who is on shift."""

from __future__ import annotations

import json

from tests.conftest import smtp_env
from tests.desk import Desk, home_opened, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1,U0TECH2,U0TECH3", "HIB2B_LEADS": "U0LEAD"}
ALWAYS_OPEN = {
    "HIB2B_BUSINESS_DAYS": "mon-sun",
    "HIB2B_BUSINESS_HOURS": "00:00-24:00",
    "HIB2B_HOLIDAYS": "none",
}


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    return json.loads((await desk.slack(slash_command(line, user))).text)["text"]


async def assignees(desk: Desk) -> list[str | None]:
    rows = await desk.services.db.fetchall("SELECT assignee FROM tickets ORDER BY number")
    return [row[0] for row in rows]


async def test_round_robin_among_those_on_shift(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM}
    desk = await start_desk(**env, HIB2B_AUTO_ASSIGN="round-robin")
    await desk.submit()  # nobody on shift: unassigned, as before
    assert "Entró a su turno" in await said(desk, "turno entrar", "U0TECH1")
    assert "Entró a su turno" in await said(desk, "turno entrar", "U0TECH2")
    assert "Ya estaba en turno" in await said(desk, "turno entrar", "U0TECH2")
    assert "Solo el equipo" in await said(desk, "turno entrar", "U0STRANGER")
    for _ in range(3):
        await desk.submit()
    assert await said(desk, "turno salir", "U0TECH2") == "Salió de su turno."
    await desk.submit()
    assert await assignees(desk) == [None, "U0TECH1", "U0TECH2", "U0TECH1", "U0TECH1"]
    assert await said(desk, "turno lista") == "En turno: <@U0TECH1>."
    await desk.drained()
    assigned = [m for m in smtp.messages if "Técnico asignado" in str(m["Subject"])]
    assert len(assigned) == 4  # the supplier hears of it as with any assignment
    texts = [m["text"] or "" for m in fake_slack.messages if m.get("thread_ts")]
    assert any("Asignación automática asignó el ticket a <@U0TECH1>" in t for t in texts)

    await desk.slack(home_opened("U0TECH1"), content_type="application/json")
    home = await fake_slack.wait_for(lambda: fake_slack.homes.get("U0TECH1"))
    assert "En turno: <@U0TECH1>" in json.dumps(home, ensure_ascii=False)


async def test_off_by_default(start_desk, fake_slack: FakeSlack) -> None:
    desk = await start_desk(**slack_env(fake_slack.url), **TEAM)
    answer = await said(desk, "turno entrar")
    assert "HIB2B_AUTO_ASSIGN=round-robin" in answer
    await desk.submit()
    assert await assignees(desk) == [None]


async def test_an_overdue_ticket_moves_to_the_least_loaded_on_shift(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url),
        **ALWAYS_OPEN,
        **TEAM,
        HIB2B_SLA_FIRST_CONTACT="1s,2s",
        HIB2B_WATCH_INTERVAL="0.1s",
        HIB2B_ESCALATE_REASSIGN="on",
    )
    for user in ("U0TECH2", "U0TECH3"):
        await said(desk, "turno entrar", user)
    await desk.submit()
    await desk.submit()
    await said(desk, "tomar 1", "U0TECH1")  # TECH1 is not on shift
    await said(desk, "tomar 2", "U0TECH2")  # TECH2 is, with one open ticket; TECH3 has none

    async def moved() -> bool:
        return (await assignees(desk))[0] == "U0TECH3"

    await fake_slack.wait_for(
        lambda: any(
            "asignó el ticket a <@U0TECH3>" in (m["text"] or "") for m in fake_slack.messages
        ),
        timeout=15,
    )
    assert await moved()
    texts = " ".join(m["text"] or "" for m in fake_slack.messages)
    assert "(antes lo tenía <@U0TECH1>)" in texts
    await desk.drained()
    assert (await assignees(desk))[1] == "U0TECH2"  # on shift, it keeps what it has
