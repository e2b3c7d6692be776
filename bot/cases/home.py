"""What a team member's App Home shows: their open tickets, the unassigned ones and the clocks
about to run out (or past), most urgent first; for leads, `/hib2b sla`'s summary too. Reads
only, each list bounded."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from bot.cases.parts import Parts
from bot.domain.change import Actor
from bot.domain.home import SHOWN, Home, Listed
from bot.render import sla
from bot.render.card import slack_date
from store import home as store
from store import shifts as shift_store
from store import sla as sla_store
from store.db import from_db


def _listed(row: dict, now: datetime | None = None) -> Listed:
    due = from_db(row["due"]) if row.get("due") else None
    card = (row["slack_channel"], row["slack_ts"]) if row.get("slack_ts") else None
    return Listed(
        number=row["number"],
        tipo=row["tipo"],
        usuario=row["usuario"],
        severity=row["severity"],
        status=row["status"],
        assignee=row["assignee"],
        card=card,
        due=due,
        clock=row.get("clock"),
        overdue=due is not None and now is not None and due <= now,
    )


async def gather(parts: Parts, actor: Actor) -> Home:
    if actor.role is None:
        return Home(actor.user_id, on_team=False)
    db, now = parts.db, parts.now()
    mine, mine_total, free, free_total = await store.lists(db, actor.user_id, SHOWN)
    breached, breached_total, risk, risk_total = await sla_store.clock_alerts(db, now, SHOWN)
    urgent = [row["number"] for row in (breached + risk)[:SHOWN]]
    details = {row["number"]: row for row in await store.listed(db, urgent)}
    due_soon = [_listed(details[number], now) for number in urgent if number in details]
    sla_blocks: list[dict] = []
    if actor.is_lead:
        policy = parts.policies.default
        report = await parts.reports.get(db, policy, now, None)
        when = partial(slack_date, zone=parts.settings.timezone)
        title = "SLA de la mesa de ayuda"
        message = parts.reports.derived(report, (title, True), lambda: sla.render(report, when))
        sla_blocks = message.blocks
    return Home(
        actor.user_id,
        on_team=True,
        is_lead=actor.is_lead,
        mine=[_listed(row, now) for row in mine],
        mine_total=mine_total,
        unassigned=[_listed(row, now) for row in free],
        unassigned_total=free_total,
        due_soon=due_soon,
        due_soon_total=breached_total + risk_total,
        sla_blocks=sla_blocks,
        on_shift=[user for user, _ in await shift_store.on_shift(db)],
    )
