"""Time rules (automations), fired from stored due times — never by scanning tickets.

When a ticket changes, the rules that care schedule a `core.timers` deadline (kind
``notify.time_rule``, key ``<rule>:<ticket>`` or ``<rule>:<ticket>:clock:<clock>``):

- solved → closed after N days: no timer of its own. The tickets app's close timer closes every
  solved ticket; while this rule is active with N set, `close_delay_days` makes N its delay
  (N blank or the rule off: SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS);
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

from switchboard.core.models import Timer
from switchboard.core.timers import cancel_timer, schedule_timer, timer_handler
from switchboard.notify.rules import conditions, config
from switchboard.notify.rules.models import TimeRule, TimeRuleFiring, TimeRuleKind
from switchboard.tickets.events import TicketEvent
from switchboard.tickets.models import Ticket

logger = logging.getLogger(__name__)

TIMER_KIND = "notify.time_rule"


def _key(rule: TimeRule, ticket_id: int, clock_id: int | None = None) -> str:
    base = f"{rule.pk}:{ticket_id}"
    return f"{base}:clock:{clock_id}" if clock_id is not None else base


def active_rules() -> list[TimeRule]:
    """The active time rules by position (cached per process: notify/rules/config.py)."""
    return list(config.current().time_rules)


# --- scheduling, on every ticket change --------------------------------------------------------


def on_ticket_event(event: TicketEvent) -> None:
    """Ticket event listener (worker, after the triggers): (re)arm or cancel due times."""
    timed = (TimeRuleKind.PENDING_REMINDER, TimeRuleKind.SLA_MINUTES_LEFT)
    rules = [r for r in active_rules() if r.kind in timed]
    if not rules:
        return
    ticket = event.ticket
    status_change = event.changes.get("status")
    for rule in rules:
        if rule.kind == TimeRuleKind.PENDING_REMINDER and status_change:
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
        return
    if rule.kind == TimeRuleKind.PENDING_REMINDER:
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
) -> TimeRuleFiring | None:
    """Fire `rule` for `ticket` once per `instance` if its conditions hold now."""
    from switchboard.notify.rules import triggers

    if TimeRuleFiring.objects.filter(rule=rule, ticket=ticket, instance_key=instance).exists():
        return None
    loaded = triggers.load_ticket(ticket.pk)
    facts = triggers.snapshot(loaded, sla=sla)
    if not conditions.matches(rule.conditions_all, rule.conditions_any, facts):
        return None
    outcome: list[dict[str, Any]] = []
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


def close_delay_days() -> float | None:
    """N of the first active "Solved → closed after N days" rule, if set: the delay of the
    tickets app's close timer (None: SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS)."""
    rule = next(
        (r for r in active_rules() if r.kind == TimeRuleKind.CLOSE_SOLVED and r.amount is not None),
        None,
    )
    return float(rule.amount) if rule is not None and rule.amount else None


def connect() -> None:
    from switchboard.sla.hooks import on_sla_event as listen_sla
    from switchboard.tickets.tasks import use_close_delay

    listen_sla(on_sla_event)
    use_close_delay(close_delay_days)
