"""SLA schedules, policies with their targets, and the per-ticket clocks with their events.

The arithmetic lives in business_time.py (pure); the rules that start, pause and stop clocks live
in clocks.py; these models hold fields, constraints and trivial properties only.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models

from switchboard.accounts.models import Region, validate_time_zone
from switchboard.core.generations import watched_manager
from switchboard.sla.business_time import BusinessSchedule, WeeklyInterval
from switchboard.tickets.models import Priority


class Metric(models.TextChoices):
    FIRST_REPLY = "first_reply", "First reply time"
    NEXT_REPLY = "next_reply", "Next reply time"
    PERIODIC_UPDATE = "periodic_update", "Periodic update"
    AGENT_WORK = "agent_work", "Agent work time"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Schedule(models.Model):
    """Business hours: a time zone, weekly wall-clock intervals and holidays."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    region = models.CharField(
        max_length=10,
        choices=Region.choices,
        blank=True,
        help_text="Tickets with this preferred region run on this schedule (unless the policy "
        "names its own schedule). At most one schedule per region.",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = watched_manager("sla")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=~models.Q(region=""), name="sla_schedule_region_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def business_schedule(self) -> BusinessSchedule:
        """The pure schedule (reads intervals and holidays; prefetch them to save queries).

        Equal definitions return the same cached instance, so its computed weeks are reused.
        """
        intervals = tuple(
            WeeklyInterval(i.weekday, i.start_minute, i.end_minute) for i in self.intervals.all()
        )
        holidays = frozenset(h.date for h in self.holidays.all())
        return _canonical(BusinessSchedule(self.time_zone, intervals, holidays))


@functools.lru_cache(maxsize=128)
def _canonical(schedule: BusinessSchedule) -> BusinessSchedule:
    # BusinessSchedule is hashable by value: the first equal instance (with its warm week cache)
    # is returned for every later equal one.
    return schedule


class ScheduleInterval(models.Model):
    """One open interval of a weekday, in minutes after local midnight (end 1440 = 24:00)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_minute = models.PositiveSmallIntegerField(help_text="0..1439, e.g. 540 = 09:00")
    end_minute = models.PositiveSmallIntegerField(help_text="1..1440, e.g. 1020 = 17:00")

    objects = watched_manager("sla")

    class Meta:
        ordering = ["schedule", "weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_minute__gt=models.F("start_minute"), end_minute__lte=1440),
                name="sla_interval_valid",
            )
        ]

    def __str__(self) -> str:
        return str(WeeklyInterval(self.weekday, self.start_minute, self.end_minute))

    def clean(self) -> None:
        try:
            WeeklyInterval(self.weekday, self.start_minute, self.end_minute)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class Holiday(models.Model):
    """A local date on which the schedule is closed all day."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    objects = watched_manager("sla")

    class Meta:
        ordering = ["schedule", "date"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="sla_holiday_uniq")
        ]

    def __str__(self) -> str:
        day: date = self.date
        return f"{day.isoformat()} {self.name}".strip()


class Policy(models.Model):
    """Ordered SLA policies: the first active one whose conditions match applies."""

    title = models.CharField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    position = models.IntegerField(default=0)
    active = models.BooleanField(default=True)
    # {"all": [{"field": "organization.support_level", "operator": "is", "value": "priority"}],
    #  "any": [...]} — see conditions.py for fields and operators.
    conditions = models.JSONField(default=dict, blank=True)
    schedule = models.ForeignKey(
        Schedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text="Empty: the schedule of the ticket's preferred region (All regions for 'all').",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = watched_manager("sla")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from switchboard.sla.conditions import ConditionError, validate_conditions

        try:
            validate_conditions(self.conditions)
        except ConditionError as exc:
            raise ValidationError({"conditions": str(exc)}) from None


class PolicyTarget(models.Model):
    """A target for one metric at one priority, in business or calendar (24x7) minutes."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=True, help_text="Off: calendar minutes, 24x7 (e.g. emergencies)."
    )

    objects = watched_manager("sla")

    class Meta:
        ordering = ["policy", "metric", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "metric", "priority"], name="sla_target_uniq"
            ),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        kind = "business" if self.business_hours else "calendar"
        return f"{self.get_metric_display()} {self.priority}: {self.minutes} min {kind}"


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FULFILLED = "fulfilled", "Fulfilled"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


class TicketClock(models.Model):
    """One metric's clock on one ticket, with the target frozen onto it when it started.

    `due_at` is the instant the target runs out (kept after a breach, for the record); it is
    NULL while paused. A breached clock stays "breached" and gets `fulfilled_at` if the reply
    comes later. `stopped_at` is set when the clock stops measuring for any reason; at most one
    clock per ticket and metric is not stopped.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_clocks"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    state = models.CharField(max_length=10, choices=ClockState.choices)
    # Frozen when the clock starts (and replaced only by a priority change).
    policy = models.ForeignKey(
        Policy, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    schedule = models.ForeignKey(
        Schedule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clocks",
        help_text="Empty for calendar (24x7) targets.",
    )
    # The metric's original start (a priority change recomputes from here) and the start of
    # the current running stretch (after a resume).
    original_started_at = models.DateTimeField()
    started_at = models.DateTimeField()
    # Finished running stretches before `started_at`: [[start, end], ...] ISO instants. Business
    # time consumed is measured over them, so a pause never adds wall-clock time.
    segments = models.JSONField(default=list, blank=True)
    consumed = models.DurationField(
        default=timedelta(0),
        help_text="Business time used in `segments`, measured on the clock's schedule.",
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    next_warning_at = models.DateTimeField(null=True, blank=True)
    warned_minutes = models.JSONField(default=list, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["original_started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric"],
                condition=models.Q(stopped_at__isnull=True),
                name="sla_clock_one_active_per_metric",
            )
        ]
        indexes = [
            # The breach sweep and "what is due next": running clocks by due time.
            models.Index(
                fields=["due_at", "id"],
                name="sla_clock_due_idx",
                condition=models.Q(state="running"),
            ),
            models.Index(
                fields=["next_warning_at", "id"],
                name="sla_clock_warning_idx",
                condition=models.Q(state="running"),
            ),
            models.Index(
                fields=["breached_at"],
                name="sla_clock_breached_idx",
                condition=models.Q(state="breached", stopped_at__isnull=True),
            ),
            models.Index(fields=["ticket", "metric"], name="sla_clock_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} on #{self.ticket_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None


class ClockEventKind(models.TextChoices):
    ACTIVATE = "activate", "Activate"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    FULFIL = "fulfil", "Fulfil"
    BREACH = "breach", "Breach"
    WARNING = "warning", "Warning"
    RECOMPUTE = "recompute", "Recompute"
    CANCEL = "cancel", "Cancel"


class ClockEvent(models.Model):
    """What happened to a clock, when, and why (the SLA part of the ticket's history)."""

    clock = models.ForeignKey(TicketClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=ClockEventKind.choices)
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["clock", "at"], name="sla_clockevent_clock_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.clock_id} at {self.at.isoformat()}"
