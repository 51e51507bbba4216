"""SLA clocks driven by ticket events: start, pause, resume, fulfil, breach, warn.

`on_ticket_event` is registered with switchboard.tickets.events and runs inside the ticket
action's transaction; the two sweeps (breach, warning) run in the worker. The rules are written
out in docs/sla.md; the arithmetic is business_time.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min

from switchboard.accounts import access
from switchboard.accounts.models import SupportLevel
from switchboard.core import generations
from switchboard.sla import hooks
from switchboard.sla.business_time import (
    BusinessSchedule,
    add_business_time,
    business_time_between,
)
from switchboard.sla.conditions import matches
from switchboard.sla.models import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    Metric,
    Policy,
    PolicyTarget,
    Schedule,
    TicketClock,
)
from switchboard.tickets.events import EventKind, TicketEvent
from switchboard.tickets.models import Comment, Ticket, TicketStatus
from switchboard.tickets.vocab import TAG_ENTITLEMENT_UNVERIFIED

logger = logging.getLogger(__name__)

REPLY_METRICS = (Metric.FIRST_REPLY, Metric.NEXT_REPLY, Metric.PERIODIC_UPDATE)
ALWAYS = BusinessSchedule.always()
_DONE = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def warning_minutes() -> list[int]:
    """Warning thresholds in minutes before the due time, largest first."""
    raw = getattr(settings, "SWITCHBOARD_SLA_WARNING_MINUTES", [120, 30])
    return sorted({int(m) for m in raw if int(m) > 0}, reverse=True)


# --- policy matching ---------------------------------------------------------------------------


def ticket_facts(ticket: Ticket, tags: Iterable[str]) -> dict[str, Any]:
    org = ticket.organization
    return {
        "organization.id": org.pk if org else None,
        "organization.name": org.name if org else None,
        "organization.support_level": org.support_level if org else None,
        "organization.is_internal": org.is_internal if org else None,
        "organization.product_line": org.product_line if org else None,
        "priority": ticket.priority,
        "ticket_type": ticket.ticket_type,
        "channel": ticket.channel,
        "product_line": ticket.product_line,
        "preferred_region": ticket.preferred_region,
        "group": ticket.group_id,
        "tags": list(tags),
    }


def entitled(ticket: Ticket, tags: Iterable[str]) -> bool:
    """No organization, support level none or an unverified requester: never an SLA."""
    org = ticket.organization
    if org is None or org.support_level == SupportLevel.NONE:
        return False
    return TAG_ENTITLEMENT_UNVERIFIED not in tags


def active_policies() -> list[Policy]:
    """The active policies by position, their targets prefetched; cached per process until an
    SLA row changes (core/generations.py). Read-only: shared by every request."""
    return generations.cached(
        "sla",
        "active_policies",
        lambda: list(Policy.objects.filter(active=True).prefetch_related("targets")),
    )


def match_policy(ticket: Ticket) -> Policy | None:
    """The first active policy (by position) whose conditions match, or None (no SLA)."""
    if ticket.organization_id is None:
        return None
    tags = (
        ticket.fresh_tags
        if ticket.fresh_tags is not None
        else list(ticket.tags.values_list("name", flat=True))
    )
    if not entitled(ticket, tags):
        return None
    facts = ticket_facts(ticket, tags)
    for policy in active_policies():
        if matches(policy.conditions, facts):
            return policy
    return None


def _target(policy: Policy | None, metric: str, priority: str) -> PolicyTarget | None:
    if policy is None:
        return None
    for target in policy.targets.all():
        if target.metric == metric and target.priority == priority:
            return target
    return None


# --- schedules ---------------------------------------------------------------------------------


def business_schedule(schedule_id: int) -> BusinessSchedule:
    """A schedule's hours and holidays, cached per process until an SLA row changes."""

    def load() -> BusinessSchedule:
        schedule = Schedule.objects.prefetch_related("intervals", "holidays").get(pk=schedule_id)
        return schedule.business_schedule()

    return generations.cached("sla", f"schedule:{schedule_id}", load)


class _Schedules:
    """Loads each schedule once per event/sweep row."""

    def __init__(self) -> None:
        self._by_id: dict[int, BusinessSchedule] = {}

    def get(self, schedule_id: int | None) -> BusinessSchedule:
        if schedule_id is None:
            return ALWAYS
        if schedule_id not in self._by_id:
            self._by_id[schedule_id] = business_schedule(schedule_id)
        return self._by_id[schedule_id]

    def for_clock(self, clock: TicketClock) -> BusinessSchedule:
        return self.get(clock.schedule_id if clock.business_hours else None)


def schedule_id_for(ticket: Ticket, policy: Policy) -> int | None:
    """The policy's own schedule, else the ticket's preferred region's, else All regions."""
    if policy.schedule_id is not None:
        return policy.schedule_id
    region = ticket.preferred_region
    found = generations.cached(
        "sla",
        f"region_schedules:{region}",
        lambda: dict(
            Schedule.objects.filter(region__in=[region, "all"]).values_list("region", "pk")
        ),
    )
    schedule_id = found.get(ticket.preferred_region) or found.get("all")
    if schedule_id is None:
        logger.warning("no schedule for region %r: using 24x7", ticket.preferred_region)
    return schedule_id


# --- clock arithmetic --------------------------------------------------------------------------


def _segments(clock: TicketClock) -> list[tuple[datetime, datetime]]:
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in clock.segments]


def _consumed(bs: BusinessSchedule, clock: TicketClock) -> timedelta:
    return sum((business_time_between(bs, a, b) for a, b in _segments(clock)), start=timedelta(0))


def _target_reached_at(bs: BusinessSchedule, clock: TicketClock) -> datetime | None:
    """When the target runs out: inside a finished stretch, or in the running one; None if
    paused with time left."""
    remaining = timedelta(minutes=clock.target_minutes)
    for a, b in _segments(clock):
        used = business_time_between(bs, a, b)
        if used >= remaining:
            return add_business_time(bs, a, remaining)
        remaining -= used
    if clock.state != ClockState.RUNNING:
        return None
    return add_business_time(bs, clock.started_at, remaining)


def time_left(clock: TicketClock, now: datetime) -> timedelta | None:
    """Calendar time to the due time for a running clock, the remaining business time for a
    paused one, time since due (negative) for an unanswered breach; None once stopped."""
    if clock.stopped_at is not None:
        return None
    if clock.state == ClockState.PAUSED:
        return timedelta(minutes=clock.target_minutes) - clock.consumed
    if clock.due_at is None:
        return None
    return clock.due_at - now


# --- the event handler -------------------------------------------------------------------------


@dataclass
class _Run:
    ticket: Ticket
    at: datetime
    policy: Policy | None
    clocks: list[TicketClock]
    schedules: _Schedules = field(default_factory=_Schedules)
    _schedule_id: int | None = None
    _schedule_resolved: bool = False

    def active(self, metric: str) -> TicketClock | None:
        for clock in self.clocks:
            if clock.metric == metric and clock.stopped_at is None:
                return clock
        return None

    def ever(self, metric: str) -> bool:
        return any(clock.metric == metric for clock in self.clocks)

    def ticket_schedule_id(self) -> int | None:
        if not self._schedule_resolved:
            assert self.policy is not None
            self._schedule_id = schedule_id_for(self.ticket, self.policy)
            self._schedule_resolved = True
        return self._schedule_id


def on_ticket_event(event: TicketEvent) -> None:
    """Bring the ticket's clocks in line with what just happened (inside the action)."""
    ticket = event.ticket
    clocks: list[TicketClock] = []
    if event.kind != EventKind.CREATED:
        clocks = list(TicketClock.objects.select_for_update().filter(ticket=ticket))
    run = _Run(ticket, event.at, match_policy(ticket), clocks)
    if not clocks and run.policy is None:
        return

    if event.changed("priority"):
        for clock in list(run.clocks):
            if clock.stopped_at is None and clock.state != ClockState.BREACHED:
                _retarget(run, clock, reason="priority")

    comment = event.comment
    if comment is not None and comment.public and comment.author_id is not None:
        if _is_agent_comment(comment):
            for metric in REPLY_METRICS:
                clock = run.active(metric)
                if clock is not None:
                    _fulfil(run, clock, {"comment": comment.pk})
            if ticket.status not in _DONE:
                _start(run, Metric.PERIODIC_UPDATE, comment.created_at, {"comment": comment.pk})
        elif event.kind != EventKind.CREATED and ticket.status not in _DONE:
            waiting = run.active(Metric.FIRST_REPLY) or run.active(Metric.NEXT_REPLY)
            if waiting is None:
                _start(run, Metric.NEXT_REPLY, comment.created_at, {"comment": comment.pk})

    _follow_status(run)

    if run.policy is not None and ticket.status not in _DONE:
        if not run.ever(Metric.FIRST_REPLY) and ticket.first_agent_reply_at is None:
            created_by_agent = (
                _is_agent_comment(comment)
                if event.kind == EventKind.CREATED and comment is not None
                else _created_by_agent_with_public_comment(ticket)
            )
            if not created_by_agent:
                _start(run, Metric.FIRST_REPLY, run.at, {"reason": event.kind.value})
        if not run.ever(Metric.AGENT_WORK) and ticket.status in (
            TicketStatus.NEW,
            TicketStatus.OPEN,
        ):
            _start(run, Metric.AGENT_WORK, run.at, {"reason": event.kind.value})

    sync_ticket_due(ticket, run.clocks)


def _is_agent_comment(comment: Comment | None) -> bool:
    if comment is None or not comment.public or comment.author_id is None:
        return False
    return access.has_staff_role(comment.author)


def _created_by_agent_with_public_comment(ticket: Ticket) -> bool:
    first = ticket.comments.select_related("author").order_by("created_at", "pk").first()
    return _is_agent_comment(first)


def _follow_status(run: _Run) -> None:
    """Agent work time follows the status; solving and closing stop the reply clocks."""
    status = run.ticket.status
    if status in _DONE:
        for metric in REPLY_METRICS:
            clock = run.active(metric)
            if clock is not None:
                _cancel(run, clock, status)
    work = run.active(Metric.AGENT_WORK)
    if status == TicketStatus.SOLVED:
        if work is not None:
            _fulfil(run, work, {"status": status})
    elif status == TicketStatus.CLOSED:
        if work is not None:
            _cancel(run, work, status)
    elif work is None:
        # Reopened after solved: the fulfilled clock continues where it stopped.
        last = [c for c in run.clocks if c.metric == Metric.AGENT_WORK]
        if last and last[-1].state == ClockState.FULFILLED:
            _reopen(run, last[-1], status)
    elif status in (TicketStatus.PENDING, TicketStatus.HOLD):
        if work.state == ClockState.RUNNING:
            _pause(run, work, status)
    elif work.state == ClockState.PAUSED:
        _resume(run, work, status)


# --- transitions -------------------------------------------------------------------------------


def _record(clock: TicketClock, kind: str, at: datetime, **data: Any) -> None:
    ClockEvent.objects.create(clock=clock, kind=kind, at=at, data=_jsonable(data))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}


def _start(run: _Run, metric: str, start: datetime, data: dict[str, Any]) -> TicketClock | None:
    target = _target(run.policy, metric, run.ticket.priority)
    if target is None or run.active(metric) is not None:
        return None
    assert run.policy is not None
    clock = TicketClock(
        ticket=run.ticket,
        metric=metric,
        state=ClockState.RUNNING,
        policy=run.policy,
        priority=run.ticket.priority,
        target_minutes=target.minutes,
        business_hours=target.business_hours,
        schedule_id=run.ticket_schedule_id() if target.business_hours else None,
        original_started_at=start,
        started_at=start,
        created_at=run.at,
        updated_at=run.at,
    )
    clock.due_at = _target_reached_at(run.schedules.for_clock(clock), clock)
    _arm_warning(clock)
    clock.save()
    run.clocks.append(clock)
    _record(
        clock,
        ClockEventKind.ACTIVATE,
        start,
        policy=run.policy.title,
        target_minutes=clock.target_minutes,
        business_hours=clock.business_hours,
        schedule=clock.schedule_id,
        due_at=clock.due_at,
        **data,
    )
    if clock.due_at is not None and clock.due_at <= run.at:
        _breach(clock, run.at)
    return clock


def _pause(run: _Run, clock: TicketClock, status: str) -> None:
    bs = run.schedules.for_clock(clock)
    clock.segments = [*clock.segments, [clock.started_at.isoformat(), run.at.isoformat()]]
    clock.consumed = clock.consumed + business_time_between(bs, clock.started_at, run.at)
    clock.state = ClockState.PAUSED
    clock.paused_at = run.at
    clock.due_at = None
    clock.next_warning_at = None
    clock.updated_at = run.at
    clock.save()
    _record(clock, ClockEventKind.PAUSE, run.at, status=status, consumed_s=_secs(clock.consumed))


def _resume(run: _Run, clock: TicketClock, status: str, **data: Any) -> None:
    clock.state = ClockState.RUNNING
    clock.started_at = run.at
    clock.paused_at = None
    clock.due_at = _target_reached_at(run.schedules.for_clock(clock), clock)
    _arm_warning(clock)
    clock.updated_at = run.at
    clock.save()
    _record(clock, ClockEventKind.RESUME, run.at, status=status, due_at=clock.due_at, **data)
    if clock.due_at is not None and clock.due_at <= run.at:
        _breach(clock, run.at)


def _reopen(run: _Run, clock: TicketClock, status: str) -> None:
    clock.stopped_at = None
    clock.fulfilled_at = None
    if status in (TicketStatus.PENDING, TicketStatus.HOLD):
        clock.state = ClockState.PAUSED
        clock.paused_at = run.at
        clock.due_at = None
        clock.next_warning_at = None
        clock.updated_at = run.at
        clock.save()
        _record(clock, ClockEventKind.PAUSE, run.at, status=status, reopened=True)
    else:
        _resume(run, clock, status, reopened=True)


def _fulfil(run: _Run, clock: TicketClock, data: dict[str, Any]) -> None:
    if clock.state == ClockState.RUNNING:
        bs = run.schedules.for_clock(clock)
        clock.segments = [*clock.segments, [clock.started_at.isoformat(), run.at.isoformat()]]
        clock.consumed = clock.consumed + business_time_between(bs, clock.started_at, run.at)
    breached = clock.state == ClockState.BREACHED
    if not breached:
        clock.state = ClockState.FULFILLED
    clock.fulfilled_at = run.at
    clock.stopped_at = run.at
    clock.next_warning_at = None
    clock.updated_at = run.at
    clock.save()
    _record(clock, ClockEventKind.FULFIL, run.at, breached=breached, **data)


def _cancel(run: _Run, clock: TicketClock, reason: str) -> None:
    if clock.state in (ClockState.RUNNING, ClockState.PAUSED):
        clock.state = ClockState.CANCELLED
    clock.stopped_at = run.at
    clock.next_warning_at = None
    clock.updated_at = run.at
    clock.save()
    _record(clock, ClockEventKind.CANCEL, run.at, reason=reason)


def _retarget(run: _Run, clock: TicketClock, reason: str) -> None:
    """New target for the ticket's current priority, measured from the original start.

    Without a target in the currently matching policy the clock keeps its frozen one: an SLA is
    never dropped silently.
    """
    target = _target(run.policy, clock.metric, run.ticket.priority)
    if target is None:
        return
    assert run.policy is not None
    before = {
        "priority": clock.priority,
        "target_minutes": clock.target_minutes,
        "business_hours": clock.business_hours,
        "due_at": clock.due_at,
    }
    clock.policy = run.policy
    clock.priority = run.ticket.priority
    clock.target_minutes = target.minutes
    clock.business_hours = target.business_hours
    clock.schedule_id = run.ticket_schedule_id() if target.business_hours else None
    bs = run.schedules.for_clock(clock)
    clock.consumed = _consumed(bs, clock)
    clock.due_at = _target_reached_at(bs, clock)
    clock.next_warning_at = None
    if clock.state == ClockState.RUNNING:
        _arm_warning(clock)
    clock.updated_at = run.at
    clock.save()
    _record(
        clock,
        ClockEventKind.RECOMPUTE,
        run.at,
        reason=reason,
        before={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in before.items()},
        priority=clock.priority,
        target_minutes=clock.target_minutes,
        business_hours=clock.business_hours,
        due_at=clock.due_at,
    )
    if clock.due_at is not None and clock.due_at <= run.at:
        _breach(clock, run.at)


def _breach(clock: TicketClock, at: datetime, *, now: datetime | None = None) -> None:
    """Mark breached at `at`; listeners hear about it with the minutes from `now` to due."""
    now = now or at
    clock.state = ClockState.BREACHED
    clock.breached_at = at
    clock.next_warning_at = None
    clock.updated_at = now
    clock.save()
    minutes_left = (clock.due_at - now).total_seconds() / 60 if clock.due_at else 0.0
    _record(clock, ClockEventKind.BREACH, at, due_at=clock.due_at, detected_at=now)
    hooks.fire("breach", clock, minutes_left)


def _arm_warning(clock: TicketClock) -> None:
    if clock.state != ClockState.RUNNING or clock.due_at is None:
        clock.next_warning_at = None
        return
    pending = [m for m in warning_minutes() if m not in clock.warned_minutes]
    clock.next_warning_at = clock.due_at - timedelta(minutes=pending[0]) if pending else None


def _secs(delta: timedelta) -> float:
    return delta.total_seconds()


def sync_ticket_due(ticket: Ticket, clocks: list[TicketClock] | None = None) -> None:
    """Ticket.sla_due_at = the earliest due time of its running clocks (NULL when none)."""
    if clocks is None:
        due = TicketClock.objects.filter(ticket_id=ticket.pk, state=ClockState.RUNNING).aggregate(
            due=Min("due_at")
        )["due"]
    else:
        dues = [c.due_at for c in clocks if c.state == ClockState.RUNNING and c.due_at]
        due = min(dues) if dues else None
    if ticket.sla_due_at != due:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due)
        ticket.sla_due_at = due


# --- sweeps ------------------------------------------------------------------------------------


def sweep_breach(clock: TicketClock, now: datetime) -> None:
    """A running clock whose due time has passed is breached (at its due time)."""
    # Lock order is ticket → clocks in the actions; here the clock is already locked, so never
    # wait for the ticket: if an action holds it, leave the row for the next sweep.
    ticket = Ticket.objects.select_for_update(skip_locked=True).filter(pk=clock.ticket_id).first()
    if ticket is None or clock.state != ClockState.RUNNING or clock.due_at is None:
        return
    assert clock.due_at <= now
    _breach(clock, clock.due_at, now=now)
    sync_ticket_due(ticket)


def sweep_warning(clock: TicketClock, now: datetime) -> None:
    """Fire the 'breach in < N minutes' warning once per threshold, then arm the next one."""
    if clock.state != ClockState.RUNNING or clock.due_at is None:
        TicketClock.objects.filter(pk=clock.pk).update(next_warning_at=None)
        return
    pending = [m for m in warning_minutes() if m not in clock.warned_minutes]
    crossed = [m for m in pending if clock.due_at - timedelta(minutes=m) <= now]
    if crossed:
        minutes_left = (clock.due_at - now).total_seconds() / 60
        clock.warned_minutes = sorted({*clock.warned_minutes, *crossed}, reverse=True)
        # Several thresholds crossed at once (a short target) give one warning, for the nearest.
        if minutes_left > 0:
            _record(
                clock,
                ClockEventKind.WARNING,
                now,
                thresholds=crossed,
                minutes_left=round(minutes_left, 2),
            )
            hooks.fire("warning", clock, minutes_left)
    _arm_warning(clock)
    clock.save(update_fields=["warned_minutes", "next_warning_at"])


def register_sweeps() -> None:
    from django.db.models import Q

    from switchboard.core.sweeps import register_sweep

    running = Q(state=ClockState.RUNNING)
    register_sweep(
        "sla.breach",
        model=TicketClock,
        due_field="due_at",
        handler=sweep_breach,
        extra_filter=running,
        on_error=_leave_for_next_sweep,
    )
    register_sweep(
        "sla.warning",
        model=TicketClock,
        due_field="next_warning_at",
        handler=sweep_warning,
        extra_filter=running,
    )


def _leave_for_next_sweep(clock: TicketClock, now: datetime, exc: Exception) -> None:
    # The due time is the SLA itself and must not move; the sweep retries the row next round.
    logger.error("sla breach sweep failed on clock %s: %s", clock.pk, exc)


@transaction.atomic
def resync_ticket(ticket: Ticket, at: datetime) -> None:
    """Start the clocks a ticket should have now (for tickets that predate the SLA app)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    on_ticket_event(TicketEvent(EventKind.UPDATED, ticket, None, at, {}))


@transaction.atomic
def reapply_policies(ticket: Ticket, at: datetime, *, reason: str) -> None:
    """Match the ticket's policy again after a change outside the ticket (its organization's
    support level, from the CRM): running clocks take the targets of the policy that matches now,
    measured from their original start, and clocks the new policy calls for start. A clock whose
    new policy has no target keeps its frozen one (an SLA is never dropped silently)."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=ticket.pk)
    )
    clocks = list(TicketClock.objects.select_for_update().filter(ticket=ticket))
    run = _Run(ticket, at, match_policy(ticket), clocks)
    if run.policy is not None:
        for clock in clocks:
            if (
                clock.stopped_at is None
                and clock.state != ClockState.BREACHED
                and clock.policy_id != run.policy.pk
            ):
                _retarget(run, clock, reason=reason)
    sync_ticket_due(ticket, clocks)
    on_ticket_event(TicketEvent(EventKind.UPDATED, ticket, None, at, {}))
