"""What a team member's App Home shows, as plain records: gathered by `bot.cases.home`, drawn
by `bot.render.home`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

SHOWN = 15  # tickets per list; then «y N más» with the command that lists them all


@dataclass(frozen=True)
class Listed:
    """A ticket as a list shows it."""

    number: int
    tipo: str
    usuario: str  # the supplier's: escaped where shown
    severity: str
    status: str
    assignee: str | None
    card: tuple[str, str] | None  # (channel, ts) of its card, once posted
    due: datetime | None = None  # the running clock's deadline (None: paused or waiting)
    clock: str | None = None
    overdue: bool = False  # past `due` (Por vencer lists both)


@dataclass(frozen=True)
class Home:
    user: str
    on_team: bool
    is_lead: bool = False
    mine: list[Listed] = field(default_factory=list)
    mine_total: int = 0
    unassigned: list[Listed] = field(default_factory=list)
    unassigned_total: int = 0
    due_soon: list[Listed] = field(default_factory=list)  # past 75 % of a deadline, or past it
    due_soon_total: int = 0
    sla_blocks: list[dict] = field(default_factory=list)  # `/hib2b sla`, for leads
    on_shift: list[str] = field(default_factory=list)  # user ids (`/hib2b turno`)
