"""The two SLA clocks of a ticket and their reminders. Pure: tickets and a calendar in, the
clock fields to store and the reminders due out.

- First contact runs from reception until the first reply, call or close (deadline from
  `HIB2B_SLA_FIRST_CONTACT`).
- Resolution starts at first contact, runs while the ticket is open and not waiting on the
  supplier, and continues after a pause or a reopen with the business time that was left. Its
  budget is the severity's; a severity change recomputes the due instants from the same start,
  keeping the pauses.

Each clock has a generation; reminders are once per clock, generation and stage. The
generation grows when a reopen or a severity change moves the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.calendar import BusinessCalendar
from bot.domain.terms import Severity, Status
from store.models import Ticket

FIRST_CONTACT, RESOLUTION = "primer_contacto", "resolucion"
CLOCK_LABELS = {FIRST_CONTACT: "primer contacto", RESOLUTION: "resolución"}
TARGET, WARN, DUE = "objetivo", "por_vencer", "vencido"
STAGES = (TARGET, WARN, DUE)  # in the order they are reached
STAGE_LABELS = {TARGET: "objetivo", WARN: "por vencer", DUE: "vencido"}
WARN_SHARE = 0.75
_OPEN_RUNNING = (Status.NUEVO, Status.ASIGNADO)


@dataclass(frozen=True)
class SlaPolicy:
    calendar: BusinessCalendar
    first_contact: tuple[timedelta, timedelta]
    resolution: dict[str, tuple[timedelta, timedelta]]  # by severity

    def budget(self, severity: str) -> tuple[timedelta, timedelta]:
        return self.resolution[Severity(severity)]


def first_contact_fields(received: datetime, policy: SlaPolicy) -> dict[str, Any]:
    """At reception: the first-contact target, 75 % and deadline instants."""
    target, deadline = policy.first_contact
    add = policy.calendar.add
    return {
        "fc_target_at": add(received, target),
        "fc_warn_at": add(received, deadline * WARN_SHARE),
        "fc_due_at": add(received, deadline),
    }


def resolution_fields(
    before: Ticket, after: Ticket, policy: SlaPolicy, now: datetime
) -> dict[str, Any]:
    """What a change does to the clocks. `after` is the ticket with the change's fields."""
    cal = policy.calendar
    fields: dict[str, Any] = {}
    if not after.sla_runs:
        return fields  # support not current: no clock runs until a lead accepts the ticket
    if not before.sla_runs:
        # Accepted by a lead: the clocks start now, as if the ticket had just arrived.
        fields = first_contact_fields(now, policy)
        if after.first_contact_at is None or after.status not in _OPEN_RUNNING:
            return fields
        target, deadline = policy.budget(after.severity)
        return {
            **fields,
            "res_started_at": now,
            "res_used_s": 0.0,
            "res_gen": 1,
            "res_target_at": cal.add(now, target),
            "res_warn_at": cal.add(now, deadline * WARN_SHARE),
            "res_due_at": cal.add(now, deadline),
        }
    if before.first_contact_at is None and after.first_contact_at is not None:
        fields["fc_business_s"] = cal.elapsed(
            before.created_at, max(after.first_contact_at, before.created_at)
        ).total_seconds()
    running = before.res_started_at is not None
    should_run = after.first_contact_at is not None and after.status in _OPEN_RUNNING
    used = timedelta(seconds=before.res_used_s)
    gen = before.res_gen
    if running and not should_run:
        # Paused (waiting on the supplier) or stopped (closed): bank the business time used.
        assert before.res_started_at is not None
        used += cal.elapsed(before.res_started_at, max(now, before.res_started_at))
        return {
            **fields,
            "res_used_s": used.total_seconds(),
            "res_started_at": None,
            "res_target_at": None,
            "res_warn_at": None,
            "res_due_at": None,
        }
    moved = after.severity != before.severity and gen > 0
    if not should_run:
        return {**fields, **({"res_gen": gen + 1} if moved else {})}
    if running:
        assert before.res_started_at is not None
        start = before.res_started_at
        if before.first_contact_at != after.first_contact_at and used == timedelta(0):
            start = after.first_contact_at  # a call logged with an earlier time than the reply
        elif not moved:
            return fields
        if moved:
            gen += 1
    elif gen == 0:
        start, gen = after.first_contact_at, 1  # the first start counts from first contact
    else:
        start = now  # after a pause, or a reopen
        if before.status == Status.CERRADO or moved:
            gen += 1
    assert start is not None
    target, deadline = policy.budget(after.severity)

    def stage_at(budget: timedelta) -> datetime | None:
        # A stage whose budget was used up before this start has nothing new to say.
        return cal.add(start, budget - used) if used < budget else None

    return {
        **fields,
        "res_started_at": start,
        "res_used_s": used.total_seconds(),
        "res_gen": gen,
        "res_target_at": stage_at(target),
        "res_warn_at": stage_at(deadline * WARN_SHARE),
        "res_due_at": cal.add(start, max(deadline - used, timedelta(0))),
    }


def running_clocks(ticket: Ticket) -> dict[str, tuple[int, dict[str, datetime]]]:
    """clock → (generation, stage → instant) for the clocks running now."""
    clocks: dict[str, tuple[int, dict[str, datetime]]] = {}
    if ticket.status == Status.CERRADO or not ticket.sla_runs:
        return clocks
    if ticket.first_contact_at is None and ticket.fc_due_at is not None:
        clocks[FIRST_CONTACT] = (
            1,
            _stages(ticket.fc_target_at, ticket.fc_warn_at, ticket.fc_due_at),
        )
    if ticket.res_started_at is not None and ticket.res_due_at is not None:
        clocks[RESOLUTION] = (
            ticket.res_gen,
            _stages(ticket.res_target_at, ticket.res_warn_at, ticket.res_due_at),
        )
    return clocks


def _stages(
    target: datetime | None, warn: datetime | None, due: datetime | None
) -> dict[str, datetime]:
    return {stage: at for stage, at in ((TARGET, target), (WARN, warn), (DUE, due)) if at}


Recorded = set[tuple[str, int, str]]  # (clock, generation, stage) already recorded


def next_reminder_at(ticket: Ticket, recorded: Recorded) -> datetime | None:
    instants = [
        at
        for clock, (gen, stages) in running_clocks(ticket).items()
        for stage, at in stages.items()
        if (clock, gen, stage) not in recorded
    ]
    return min(instants, default=None)


@dataclass(frozen=True)
class Reminder:
    clock: str
    gen: int
    stage: str
    due_at: datetime  # the clock's deadline
    passed_over: tuple[str, ...]  # earlier stages not sent because this one supersedes them


def due_reminders(ticket: Ticket, recorded: Recorded, now: datetime) -> list[Reminder]:
    """Per running clock, the most advanced stage reached and not yet recorded."""
    reminders = []
    for clock, (gen, stages) in running_clocks(ticket).items():
        reached = [
            stage
            for stage in STAGES
            if stage in stages and stages[stage] <= now and (clock, gen, stage) not in recorded
        ]
        if reached:
            reminders.append(Reminder(clock, gen, reached[-1], stages[DUE], tuple(reached[:-1])))
    return reminders


def still_due(ticket: Ticket, clock: str, gen: int) -> bool:
    """A queued reminder is sent only while its clock still runs in the same generation."""
    running = running_clocks(ticket).get(clock)
    return running is not None and running[0] == gen


def apply_fields(ticket: Ticket, fields: dict[str, Any]) -> Ticket:
    return replace(ticket, **fields)
