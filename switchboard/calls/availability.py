"""When an agent can take a call: working hours minus holidays, calls (with buffers) and the
agent's own busy calendar. Reads the database, then hands plain intervals to `slots.py`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from switchboard.accounts.models import WEEKDAYS, User
from switchboard.calls import slots
from switchboard.calls.models import ACTIVE_STATUSES, AgentCallSettings, Call, EventType
from switchboard.sla.business_time import BusinessSchedule, WeeklyInterval, open_intervals

PAD = timedelta(days=1)


def rules_for(event_type: EventType) -> slots.SlotRules:
    return slots.SlotRules(
        duration=timedelta(minutes=event_type.duration_minutes),
        buffer_before=timedelta(minutes=event_type.buffer_before_minutes),
        buffer_after=timedelta(minutes=event_type.buffer_after_minutes),
        step=timedelta(minutes=event_type.step_minutes),
        minimum_notice=timedelta(minutes=event_type.minimum_notice_minutes),
        booking_window=timedelta(days=event_type.booking_window_days),
    )


def _minute(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def schedule_for(agent: User, settings: AgentCallSettings | None) -> BusinessSchedule | None:
    """The agent's working hours in their zone, closed on their holiday calendar's dates."""
    intervals = tuple(
        WeeklyInterval(WEEKDAYS.index(day), _minute(a), _minute(b))
        for day, spans in (agent.working_hours or {}).items()
        if day in WEEKDAYS
        for a, b in spans
    )
    if not intervals:
        return None
    holidays: frozenset[date] = frozenset()
    if settings is not None and settings.holiday_schedule_id:
        holidays = frozenset(
            settings.holiday_schedule.holidays.values_list("date", flat=True)  # type: ignore[union-attr]
        )
    return BusinessSchedule(agent.time_zone or "UTC", intervals, holidays)


def _settings(agent: User) -> AgentCallSettings | None:
    return AgentCallSettings.objects.filter(user=agent).select_related("holiday_schedule").first()


def external_busy(settings: AgentCallSettings | None) -> list[slots.Interval]:
    if settings is None:
        return []
    out: list[slots.Interval] = []
    for item in settings.busy or []:
        try:
            out.append((datetime.fromisoformat(item[0]), datetime.fromisoformat(item[1])))
        except (TypeError, ValueError, IndexError):
            continue
    return out


def calls_busy(
    agent: User, start: datetime, end: datetime, exclude_call_id: int | None = None
) -> list[slots.Interval]:
    query = Call.objects.filter(
        agent=agent, status__in=ACTIVE_STATUSES, blocked_start__lt=end, blocked_end__gt=start
    )
    if exclude_call_id is not None:
        query = query.exclude(pk=exclude_call_id)
    return list(query.values_list("blocked_start", "blocked_end"))


def slots_for(
    agent: User,
    event_type: EventType,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    exclude_call_id: int | None = None,
) -> list[datetime]:
    """Bookable starts for `agent` in [start, end) (UTC, ascending); [] without working hours."""
    settings = _settings(agent)
    schedule = schedule_for(agent, settings)
    if schedule is None or end <= start:
        return []
    rules = rules_for(event_type)
    # Whole days around the range, so each span starts at its real opening (slot alignment).
    lo = datetime.combine((start - PAD).astimezone(UTC).date(), datetime.min.time(), UTC)
    hi = end + PAD
    spans = list(open_intervals(schedule, lo, hi))
    margin = rules.buffer_before + rules.duration + rules.buffer_after
    busy = calls_busy(agent, start - margin, end + margin, exclude_call_id)
    busy += external_busy(settings)
    return slots.find_slots(open_spans=spans, busy=busy, rules=rules, now=now, start=start, end=end)


def is_free(
    agent: User,
    event_type: EventType,
    slot: datetime,
    *,
    now: datetime,
    exclude_call_id: int | None = None,
) -> bool:
    """Whether `slot` is still an offered start (the re-check made under the agent's lock)."""
    found = slots_for(
        agent,
        event_type,
        start=slot,
        end=slot + timedelta(microseconds=1),
        now=now,
        exclude_call_id=exclude_call_id,
    )
    return found == [slot]
