"""Time rules (automations), fired from stored due times — never by scanning tickets.

When a ticket changes, the rules that care schedule a `core.timers` deadline (kind
``notify.time_rule``, key ``<rule>:<ticket>`` or ``<rule>:<ticket>:clock:<clock>``):

- solved → closed after N days: at ``solved_at + N days`` (N blank: the built-in timer of
  `tickets.actions` with SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS does it; N set: this rule takes over
  that ticket's close and the built-in timer is cancelled);
- pending for N hours: at ``pending since + N hours``, cancelled when the ticket leaves pending;
  a new pending period is a new instance;
- SLA less than N minutes left: at ``clock due − N minutes`` per running SLA clock, re-armed when
  the due time moves and cancelled when the clock stops;
- SLA breached: straight from the SLA engine's breach hook (its own stored due time).

The worker's timer sweep runs the handler, which re-checks the condition, then records a
`TimeRuleFiring` (unique on rule + ticket + instance: once, as a database guarantee) and runs the
rule's actions through the trigger engine's action runner.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from switchboard.accounts import access
from switchboard.core.models import Timer
from switchboard.core.timers import cancel_timer, schedule_timer, timer_handler
from switchboard.notify.rules import conditions
from switchboard.notify.rules.models import TimeRule, TimeRuleFiring, TimeRuleKind
from switchboard.tickets.events import TicketEvent
from switchboard.tickets.models import Ticket

logger = logging.getLogger(__name__)

TIMER_KIND = "notify.time_rule"


def _key(rule: TimeRule, ticket_id: int, clock_id: int | None = None) -> str:
    base = f"{rule.pk}:{ticket_id}"
    return f"{base}:clock:{clock_id}" if clock_id is not None else base


def active_rules() -> list[TimeRule]:
    return list(TimeRule.objects.filter(is_active=True).order_by("position", "pk"))


# --- scheduling, on every ticket change --------------------------------------------------------


def on_ticket_event(event: TicketEvent) -> None:
    """Ticket event listener (worker, after the triggers): (re)arm or cancel due times."""
    rules = [r for r in active_rules() if r.kind != TimeRuleKind.SLA_BREACHED]
    if not rules:
        return
    ticket = event.ticket
    status_change = event.changes.get("status")
    for rule in rules:
        if rule.kind == TimeRuleKind.CLOSE_SOLVED and rule.amount and status_change:
            _schedule_close(rule, ticket, status_change)
        elif rule.kind == TimeRuleKind.PENDING_REMINDER and status_change:
            if ticket.status == "pending":
                schedule_timer(
                    TIMER_KIND,
                    key=_key(rule, ticket.pk),
                    due_at=event.at + timedelta(hours=rule.amount or 0),
                    payload={"instance": f"pending:{event.at.isoformat()}"},
                )
            elif status_change[0] == "pending":
                cancel_timer(TIMER_KIND, key=_key(rule, ticket.pk))
    sla_rules = [r for r in rules if r.kind == TimeRuleKind.SLA_MINUTES_LEFT]
    if sla_rules:
        _schedule_sla(sla_rules, ticket.pk)


def _schedule_close(rule: TimeRule, ticket: Ticket, status_change: tuple[Any, Any]) -> None:
    from switchboard.tickets.tasks import CLOSE_SOLVED

    if ticket.status == "solved" and ticket.solved_at is not None:
        # This rule's N replaces the built-in delay for this ticket.
        cancel_timer(CLOSE_SOLVED, key=str(ticket.pk))
        schedule_timer(
            TIMER_KIND,
            key=_key(rule, ticket.pk),
            due_at=ticket.solved_at + timedelta(days=rule.amount or 0),
            payload={"instance": f"solved:{ticket.solved_at.isoformat()}"},
        )
    elif status_change[0] == "solved":
        cancel_timer(TIMER_KIND, key=_key(rule, ticket.pk))


def _schedule_sla(rules: list[TimeRule], ticket_id: int) -> None:
    from switchboard.sla.models import ClockState, TicketClock

    clocks = list(TicketClock.objects.filter(ticket_id=ticket_id, stopped_at__isnull=True))
    for clock in clocks:
        running = clock.state == ClockState.RUNNING and clock.due_at is not None
        for rule in rules:
            key = _key(rule, ticket_id, clock.pk)
            if running:
                due = clock.due_at - timedelta(minutes=rule.amount or 0)
                schedule_timer(TIMER_KIND, key=key, due_at=due, payload={"clock": clock.pk})
            else:
                cancel_timer(TIMER_KIND, key=key)


# --- firing ------------------------------------------------------------------------------------


@timer_handler(TIMER_KIND)
def fire_timer(timer: Timer, now: datetime) -> None:
    """A time rule's due time has come: re-check the condition, then fire once."""
    parts = timer.key.split(":")
    rule = TimeRule.objects.filter(pk=int(parts[0])).first()
    ticket = Ticket.objects.filter(pk=int(parts[1])).first()
    if ticket is None:
        return
    if rule is None or not rule.is_active:
        if rule is None or rule.kind == TimeRuleKind.CLOSE_SOLVED:
            _hand_close_back(ticket)
        return
    if rule.kind == TimeRuleKind.CLOSE_SOLVED:
        _fire_close(rule, ticket, timer, now)
    elif rule.kind == TimeRuleKind.PENDING_REMINDER:
        # The instance (this pending period) was fixed when the period started.
        instance = timer.payload.get("instance", "")
        if ticket.status == "pending" and instance:
            fire(rule, ticket, instance, now)
    elif rule.kind == TimeRuleKind.SLA_MINUTES_LEFT and len(parts) == 4:
        from switchboard.sla.models import ClockState, TicketClock

        clock = TicketClock.objects.filter(pk=int(parts[3])).first()
        if clock is None or clock.state != ClockState.RUNNING or clock.due_at is None:
            return
        left = (clock.due_at - now).total_seconds() / 60
        if clock.due_at - timedelta(minutes=rule.amount or 0) <= now < clock.due_at:
            fire(rule, ticket, f"clock:{clock.pk}", now, sla=_sla_facts(clock, left))


def _hand_close_back(ticket: Ticket) -> None:
    """The close rule was switched off: the built-in close timer takes the ticket back."""
    from switchboard.tickets.actions.changes import close_after
    from switchboard.tickets.tasks import CLOSE_SOLVED

    if ticket.status == "solved" and ticket.solved_at is not None:
        schedule_timer(CLOSE_SOLVED, key=str(ticket.pk), due_at=ticket.solved_at + close_after())


def _fire_close(rule: TimeRule, ticket: Ticket, timer: Timer, now: datetime) -> None:
    if not rule.amount:
        _hand_close_back(ticket)
        return
    if ticket.status != "solved" or ticket.solved_at is None:
        return
    due = ticket.solved_at + timedelta(days=rule.amount)
    if due > now:  # N was raised since: wait for the new due time
        schedule_timer(TIMER_KIND, key=timer.key, due_at=due, payload=timer.payload)
        return
    fire(rule, ticket, f"solved:{ticket.solved_at.isoformat()}", now, close=True)


def _sla_facts(clock: Any, minutes_left: float) -> dict[str, Any]:
    return {
        "metric": clock.metric,
        "minutes_left": round(minutes_left, 2),
        "thresholds": [],
        "due_at": clock.due_at,
    }


def fire(
    rule: TimeRule,
    ticket: Ticket,
    instance: str,
    now: datetime,
    *,
    sla: dict[str, Any] | None = None,
    close: bool = False,
) -> TimeRuleFiring | None:
    """Fire `rule` for `ticket` once per `instance` if its conditions hold now."""
    from switchboard.notify.rules import triggers
    from switchboard.tickets.actions.update import update_ticket

    if TimeRuleFiring.objects.filter(rule=rule, ticket=ticket, instance_key=instance).exists():
        return None
    loaded = triggers.load_ticket(ticket.pk)
    facts = triggers.snapshot(loaded, sla=sla)
    if not conditions.matches(rule.conditions_all, rule.conditions_any, facts):
        return None
    outcome: list[dict[str, Any]] = []
    if close:
        update_ticket(ticket=loaded, actor=access.SYSTEM, via="system", at=now, status="closed")
        outcome.append({"action": "close"})
        loaded = triggers.load_ticket(ticket.pk)
    if rule.actions:
        context = triggers.RuleContext(
            names=(f"automation.{rule.kind}",),
            key=f"{rule.pk}:{instance}",
            at=now,
            ticket_id=ticket.pk,
            changes={},
            sla=sla,
        )
        done, _ = triggers.apply_actions(
            rule.actions,
            ticket=loaded,
            context=context,
            event=f"automation.{rule.kind}",
            source=f"automation:{rule.pk}",
            key_prefix=f"automation:{rule.pk}:ticket:{ticket.pk}:{instance}",
            rule_title=rule.title,
        )
        outcome.extend(done)
    return TimeRuleFiring.objects.create(
        rule=rule, ticket=ticket, instance_key=instance, fired_at=now, outcome=outcome
    )


def on_sla_event(kind: str, clock: Any, minutes_left: float) -> None:
    """SLA hook: "breach" fires the SLA-breached time rules (once per clock)."""
    if kind != "breach":
        return
    rules = [r for r in active_rules() if r.kind == TimeRuleKind.SLA_BREACHED]
    if not rules:
        return
    ticket = Ticket.objects.get(pk=clock.ticket_id)
    now = timezone.now()
    for rule in rules:
        fire(rule, ticket, f"clock:{clock.pk}", now, sla=_sla_facts(clock, minutes_left))


def connect() -> None:
    from switchboard.sla.hooks import on_sla_event as listen_sla

    listen_sla(on_sla_event)
