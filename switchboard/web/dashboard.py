"""The manager dashboard's numbers: SQL aggregations, a fixed number of queries (five).

- created and solved tickets per day over the last `days` days (two GROUP BY queries);
- SLA achievement (met vs breached clocks started in that window) per support level and per
  region (two GROUP BY queries);
- the unsolved backlog by age bucket (one query with conditional counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from switchboard.accounts.models import Region, SupportLevel
from switchboard.sla.models import ClockState, TicketClock
from switchboard.tickets.models import Ticket, TicketStatus

# (label, lower bound, upper bound) of the age of an unsolved ticket.
BACKLOG_BUCKETS: list[tuple[str, timedelta, timedelta | None]] = [
    ("< 1 d", timedelta(0), timedelta(days=1)),
    ("1–3 d", timedelta(days=1), timedelta(days=3)),
    ("3–7 d", timedelta(days=3), timedelta(days=7)),
    ("7–30 d", timedelta(days=7), timedelta(days=30)),
    ("> 30 d", timedelta(days=30), None),
]
UNSOLVED = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD]


@dataclass(frozen=True)
class Achievement:
    key: str
    label: str
    met: int
    breached: int


@dataclass(frozen=True)
class DashboardData:
    days: list[date]
    created: list[int]
    solved: list[int]
    by_support_level: list[Achievement]
    by_region: list[Achievement]
    backlog: list[tuple[str, int]]


def _per_day(column: str, start: datetime, days: list[date]) -> list[int]:
    rows = (
        Ticket.objects.filter(**{f"{column}__gte": start})
        .annotate(day=TruncDate(column))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["n"] for row in rows}
    return [counts.get(day, 0) for day in days]


def _achievement(group_by: str, start: datetime) -> dict[str | None, tuple[int, int]]:
    rows = (
        TicketClock.objects.filter(
            original_started_at__gte=start, state__in=[ClockState.FULFILLED, ClockState.BREACHED]
        )
        .values(group_by)
        .annotate(
            met=Count("pk", filter=Q(state=ClockState.FULFILLED)),
            breached=Count("pk", filter=Q(state=ClockState.BREACHED)),
        )
        .order_by()
    )
    return {row[group_by]: (row["met"], row["breached"]) for row in rows}


def sla_by_support_level(start: datetime) -> list[Achievement]:
    counts = _achievement("ticket__organization__support_level", start)
    # Tickets without an organization run without a paid SLA, like support level "none".
    orphan_met, orphan_breached = counts.pop(None, (0, 0))
    result = []
    for level in SupportLevel:
        met, breached = counts.get(level.value, (0, 0))
        if level.value == SupportLevel.NONE:
            met, breached = met + orphan_met, breached + orphan_breached
        result.append(Achievement(level.value, str(level.label), met, breached))
    return result


def sla_by_region(start: datetime) -> list[Achievement]:
    counts = _achievement("ticket__preferred_region", start)
    return [
        Achievement(region.value, str(region.label), *counts.get(region.value, (0, 0)))
        for region in Region
    ]


def backlog_by_age(now: datetime) -> list[tuple[str, int]]:
    aggregates = {}
    for index, (_label, low, high) in enumerate(BACKLOG_BUCKETS):
        q = Q(created_at__lte=now - low)
        if high is not None:
            q &= Q(created_at__gt=now - high)
        aggregates[f"b{index}"] = Count("pk", filter=q)
    counts = Ticket.objects.filter(status__in=UNSOLVED).aggregate(**aggregates)
    return [(label, counts[f"b{i}"] or 0) for i, (label, _, _) in enumerate(BACKLOG_BUCKETS)]


def dashboard_data(now: datetime | None = None, days: int = 30) -> DashboardData:
    """Everything the dashboard draws, for the `days` days up to and including today (UTC)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    day_list = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    start = timezone.make_aware(datetime.combine(day_list[0], datetime.min.time()))
    return DashboardData(
        days=day_list,
        created=_per_day("created_at", start, day_list),
        solved=_per_day("solved_at", start, day_list),
        by_support_level=sla_by_support_level(start),
        by_region=sla_by_region(start),
        backlog=backlog_by_age(now),
    )
