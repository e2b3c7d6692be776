"""The SLA in the running service: reminders in real time with second-long settings (the one
bounded real-time test), `/hib2b sla`, the card and the confirmation email."""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conftest import smtp_env
from tests.desk import GOOD, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

MX = ZoneInfo("America/Mexico_City")
ALWAYS_OPEN = {
    "HIB2B_BUSINESS_DAYS": "mon-sun",
    "HIB2B_BUSINESS_HOURS": "00:00-24:00",
    "HIB2B_HOLIDAYS": "none",
}
TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}


async def test_three_reminders_arrive_once_in_order_and_not_early(
    start_desk, fake_slack: FakeSlack
) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url),
        **ALWAYS_OPEN,
        **TEAM,
        HIB2B_SLA_FIRST_CONTACT="2s,4s",
        HIB2B_WATCH_INTERVAL="0.1s",
    )
    submitted = time.monotonic()
    await desk.submit()
    [card] = await fake_slack.wait_for(lambda: fake_slack.cards())

    def reminders() -> list[dict]:
        return [m for m in fake_slack.replies(card["ts"]) if m.get("reply_broadcast")]

    await fake_slack.wait_for(lambda: len(reminders()) == 3, timeout=15)
    calls = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("reply_broadcast")]
    offsets = [c.at - submitted for c in calls]
    stages = [m["text"] for m in reminders()]
    assert ["objetivo" in stages[0], "por vencer" in stages[1], "vencido" in stages[2]] == [
        True,
        True,
        True,
    ]
    assert offsets[0] >= 2.0 and offsets[1] >= 3.0 and offsets[2] >= 4.0
    assert all("<!here>" in text for text in stages)  # nobody has the ticket
    assert "<@U0LEAD>" in stages[2] and "<@U0LEAD>" not in stages[0]
    # At «vencido» the lead also gets a DM, once, pointing at the card.
    [alert] = await fake_slack.wait_for(
        lambda: [
            c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0LEAD"
        ]
    )
    assert (
        "HD-1" in alert.args["text"] and "venció el plazo de primer contacto" in alert.args["text"]
    )
    assert f"/archives/C0SUPPORT/p{card['ts'].replace('.', '')}" in alert.args["text"]
    assert all("primer contacto" in text and "HD-1" in text for text in stages)
    await desk.drained()
    assert len(reminders()) == 3
    assert (
        len([c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == "U0LEAD"])
        == 1
    )


async def test_hib2b_sla_and_overdue_list(start_desk, fake_slack: FakeSlack) -> None:
    desk = await start_desk(
        **slack_env(fake_slack.url),
        **ALWAYS_OPEN,
        **TEAM,
        HIB2B_SLA_FIRST_CONTACT="1s,2s",
        HIB2B_WATCH_INTERVAL="1h",
    )
    for _ in range(3):
        await desk.submit()
    await fake_slack.wait_for(lambda: len(fake_slack.cards()) == 3)
    assert "Primer contacto vence" in json.dumps(
        fake_slack.cards()[0]["blocks"], ensure_ascii=False
    )
    time.sleep(2.1)
    response = json.loads((await desk.slack(slash_command("sla"))).text)
    assert response["response_type"] == "ephemeral"
    shown = json.dumps(response["blocks"], ensure_ascii=False)
    assert "*Abiertos: 3*" in shown and ":rotating_light: Vencidos (3)" in shown
    assert "Sin asignar: 3" in shown and "Cumplimiento, últimos 7 días" in shown
    overdue = json.loads((await desk.slack(slash_command("lista vencidos"))).text)["text"]
    assert "*Tickets con el SLA vencido (3)*" in overdue
    explained = json.loads((await desk.slack(slash_command("sla HD-2"))).text)["text"]
    assert "*Primer contacto*" in explained and "generación 0" in explained
    refused = json.loads((await desk.slack(slash_command("sla", user="U0NOBODY"))).text)
    assert refused["text"] == "Solo el equipo de soporte puede ver los tickets."
    await desk.slack(slash_command("sla publicar", user="U0LEAD"))
    await fake_slack.wait_for(
        lambda: any("SLA de la mesa" in json.dumps(m["blocks"] or []) for m in fake_slack.cards())
    )


async def test_confirmation_names_the_contact_deadline(start_desk, smtp: FakeSmtp) -> None:
    friday_evening = datetime(2026, 11, 13, 17, 30, tzinfo=MX)  # Monday 16 is a holiday
    desk = await start_desk(now=lambda: friday_evening, **smtp_env(smtp))
    await desk.submit()
    [mail] = await smtp.wait_for(1)
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "a más tardar el martes 17 de noviembre de 2026 a las 12:30 (hora del centro de México)"
    ) in " ".join(text.split())
    night = datetime(2026, 11, 13, 20, tzinfo=MX)
    desk2 = await start_desk(now=lambda: night, **smtp_env(smtp))
    await desk2.submit()
    late = (await smtp.wait_for(2))[1].get_body(preferencelist=("plain",)).get_content()
    assert "llegó fuera de ese horario" in " ".join(late.split())
    assert "llegó fuera de ese horario" not in " ".join(text.split())


def said(mail) -> str:
    return " ".join(mail.get_body(preferencelist=("plain",)).get_content().split())


async def test_confirmation_promises_the_tickets_own_plan(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    early = datetime(2026, 12, 1, 7, 0, tzinfo=MX)  # a Tuesday, before opening
    env = {**slack_env(fake_slack.url), **smtp_env(smtp), **TEAM}
    desk = await start_desk(now=lambda: early, **env)
    await desk.submit()
    text = said((await smtp.wait_for(1))[0])
    # The clock starts at 09:00 the same day, not «the next business day».
    assert (
        "el plazo comienza el martes 1 de diciembre de 2026 a las 09:00 (hora del centro de México)"
        in text
    )
    assert (
        "de lunes a viernes de 9:00 a 18:00, hora del centro de México, excepto días festivos"
        in text
    )

    lead = "U0LEAD"
    for line in (
        "cliente alta planta planta.portalhib2b.com Planta 24x7",
        "cliente plan planta dias=mon-sun horas=00:00-24:00 feriados=none primer_contacto=30m,2h",
    ):
        answer = json.loads((await desk.slack(slash_command(line, user=lead))).text)["text"]
        assert "Plan no válido" not in answer and "No " not in answer[:3], answer
    await desk.submit(GOOD, headers={"Host": "planta.portalhib2b.com"})  # the client's form
    text = said((await smtp.wait_for(2))[1])
    assert "dentro de 30 minutos a 2 horas hábiles" in text
    assert "todos los días, las 24 horas" in text
    assert "fuera de ese horario" not in text and "excepto días festivos" not in text
