"""Satisfaction ratings on the real service: the closing email's five signed links, a page
that records only when the supplier confirms (a link scanner records nothing), the rating in
the thread, changeable for 14 days, and counted in `/hib2b sla`, the report and the export."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.domain import supplier
from bot.domain.change import Refused
from tests.conftest import smtp_env
from tests.desk import Desk, formatted_texts, slack_env, slash_command
from tests.fakes.slack import FakeSlack
from tests.fakes.smtp import FakeSmtp

TEAM = {"HIB2B_TECHNICIANS": "U0TECH1", "HIB2B_LEADS": "U0LEAD"}


async def said(desk: Desk, line: str, user: str = "U0TECH1") -> str:
    return json.loads((await desk.slack(slash_command(line, user))).text)["text"]


async def post(desk: Desk, fields: dict[str, str]) -> tuple[int, str]:
    assert desk.http is not None
    async with desk.http.post(desk.url + "/soporte/calificar", data=fields) as response:
        return response.status, await response.text()


async def rating(desk: Desk) -> tuple:
    row = await desk.services.db.fetchone(
        "SELECT rating, rating_comment, rated_at FROM tickets WHERE number = 1"
    )
    return tuple(row)


async def test_a_supplier_rates_from_the_closing_email(
    start_desk, fake_slack: FakeSlack, smtp: FakeSmtp
) -> None:
    clock = [datetime.now(UTC)]
    desk = await start_desk(lambda: clock[0], **slack_env(fake_slack.url), **smtp_env(smtp), **TEAM)
    await desk.submit()
    await said(desk, "tomar 1")
    await said(desk, "cerrar 1 acceso Se restableció la contraseña.")
    closing = (await smtp.wait_for(3))[-1]
    text = closing.get_body(preferencelist=("plain",)).get_content()
    assert "¿Cómo le atendimos?" in text
    links = re.findall(r"(\d) de 5: (\S+)", text)
    assert [value for value, _ in links] == ["1", "2", "3", "4", "5"]
    html = closing.get_body(preferencelist=("html",)).get_content()
    assert html.count("/soporte/calificar?t=") == 5
    four = urlsplit(links[3][1])
    token = dict(p.split("=", 1) for p in four.query.split("&"))["t"]

    # Following the link shows the choice; nothing is recorded until the supplier confirms.
    page = await desk.get(f"{four.path}?{four.query}")
    assert page.status == 200 and "¿Cómo le atendimos?" in page.text
    assert 'value="4" checked' in page.text
    assert await rating(desk) == (None, None, None)

    status, thanks = await post(
        desk, {"t": token, "v": "4", "comentario": "Muy rápido, <!channel> gracias"}
    )
    assert status == 200 and "Registramos su calificación de <strong>4 de 5</strong>" in thanks
    value, comment, first = await rating(desk)
    assert (value, comment) == (4, "Muy rápido, <!channel> gracias") and first is not None
    posted = await fake_slack.wait_for(
        lambda: [m for m in fake_slack.messages if ":star:" in (m["text"] or "")]
    )
    formatted = " ".join(formatted_texts(posted[0]["blocks"]))
    assert "*4 de 5*" in formatted and "<!channel>" not in formatted  # the comment is literal
    assert "Muy rápido, <!channel> gracias" in json.dumps(posted[0]["blocks"], ensure_ascii=False)

    clock[0] += timedelta(days=3)
    status, changed = await post(desk, {"t": token, "v": "2"})
    assert status == 200 and "durante 14 días" in changed
    assert (await rating(desk))[0] == 2 and (await rating(desk))[2] == first  # first date kept
    await fake_slack.wait_for(
        lambda: [m for m in fake_slack.messages if "cambió su calificación a" in (m["text"] or "")]
    )
    answer = json.loads((await desk.slack(slash_command("sla", "U0LEAD"))).text)
    sla = " ".join(formatted_texts(answer["blocks"]))
    assert "Satisfacción: 2.0 de 5 en 1 calificación · <@U0TECH1> 2.0 (1)" in sla
    assert "Por cliente: sin cliente 2.0 (1)" in sla

    clock[0] += timedelta(days=11)  # the last moment it may change: no promise of more
    status, last = await post(desk, {"t": token, "v": "2", "comentario": "Al final, bien."})
    assert status == 200 and "durante 14 días" not in last
    clock[0] += timedelta(days=1)
    status, late = await post(desk, {"t": token, "v": "5"})
    assert status == 422 and "14 días" in late
    status, bad = await post(desk, {"t": token + "x", "v": "5"})
    assert status == 404 and "no es válido" in bad
    status, none = await post(desk, {"t": token})
    assert status == 422 and "Elija una calificación de 1 a 5" in none


def test_only_a_closed_ticket_is_rated_and_values_are_one_to_five() -> None:
    from tests.test_workflow_rules import CLOSED, NEW, NOW

    try:
        supplier.rated(NEW, 5, "", NOW)
    except Refused as refusal:
        assert "todavía no se ha cerrado" in refusal.message
    else:
        raise AssertionError("an open ticket was rated")
    for value in (0, 6):
        try:
            supplier.rated(CLOSED, value, "", NOW)
        except Refused:
            continue
        raise AssertionError(f"{value} was accepted")
    assert supplier.rated(CLOSED, 5, " ok ", NOW).fields == {
        "rating": 5,
        "rating_comment": "ok",
        "rated_at": NOW,
    }
