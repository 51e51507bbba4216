"""Customer calls: event types, agents' call settings, single-use booking links, calls, feeds.

A call belongs to a ticket. The time an agent is blocked by a call (its buffers included) is
stored as `blocked_start`/`blocked_end`; on PostgreSQL an exclusion constraint (migration
0002, btree_gist) forbids two active calls of one agent whose blocked ranges overlap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from switchboard.core.generations import watched_manager
from switchboard.core.models import FeedToken


class MeetingProvider(models.TextChoices):
    ANY = "", "Any (agent's room, else a generated Jitsi room)"
    JITSI = "jitsi", "Jitsi"
    ZOOM = "zoom", "Zoom"
    WEBEX = "webex", "WebEx"


QUESTION_KINDS = ("text", "choice", "boolean", "confirm")


def validate_questions(value: Any) -> None:
    """[{"key", "label", "kind": text|choice|boolean|confirm, "choices": [...], "required"}]."""
    if not isinstance(value, list):
        raise ValidationError("Questions must be a list of objects.")
    keys: set[str] = set()
    for index, question in enumerate(value):
        if not isinstance(question, dict):
            raise ValidationError(f"Question {index + 1} must be an object.")
        key = question.get("key")
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 40:
            raise ValidationError(f"Question {index + 1}: key must be a short identifier.")
        if key in keys:
            raise ValidationError(f'Question key "{key}" appears twice.')
        keys.add(key)
        if not isinstance(question.get("label"), str) or not question["label"].strip():
            raise ValidationError(f'Question "{key}" needs a label.')
        kind = question.get("kind", "text")
        if kind not in QUESTION_KINDS:
            raise ValidationError(f'Question "{key}": kind must be one of {QUESTION_KINDS}.')
        if kind == "choice":
            choices = question.get("choices")
            if not (
                isinstance(choices, list)
                and choices
                and all(isinstance(c, str) and c for c in choices)
            ):
                raise ValidationError(f'Question "{key}" needs a non-empty list of choices.')


def validate_step(value: int) -> None:
    if value <= 0 or 1440 % value:
        raise ValidationError(
            "The slot step must divide a day (5, 10, 15, 20, 30, 60 ... minutes)."
        )


class EventType(models.Model):
    """A kind of call customers can book (admin-editable)."""

    title = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=60)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    minimum_notice_minutes = models.PositiveIntegerField(default=240)
    booking_window_days = models.PositiveIntegerField(default=30)
    step_minutes = models.PositiveIntegerField(default=30, validators=[validate_step])
    questions = models.JSONField(default=list, blank=True, validators=[validate_questions])
    priority_or_implementation_only = models.BooleanField(
        default=False,
        help_text="Only organizations with priority support or implementation support.",
    )
    # None = the handbook's rule: shown when the title contains "Support" (case-insensitive).
    on_team_calendar = models.BooleanField(
        null=True,
        blank=True,
        help_text='Show on the Support team calendar. Unset: when the title contains "Support".',
    )
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    # The ticket page caches the event types per process (core/generations.py, "desk").
    objects = watched_manager("desk")

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def shows_on_team_calendar(self) -> bool:
        if self.on_team_calendar is None:
            return "support" in self.title.lower()
        return self.on_team_calendar

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)


class AgentCallSettings(models.Model):
    """An agent's meeting room, own busy calendar and holiday calendar."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_settings"
    )
    meeting_url = models.URLField(
        blank=True, help_text="Personal Zoom or WebEx room; empty: a generated Jitsi room."
    )
    meeting_provider = models.CharField(
        max_length=10, choices=MeetingProvider.choices, blank=True, default=""
    )
    holiday_schedule = models.ForeignKey(
        "sla.Schedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Whose holidays close this agent's booking calendar.",
    )
    calendar_url = models.URLField(
        max_length=500, blank=True, help_text="iCal URL of the agent's own calendar (busy times)."
    )
    busy = models.JSONField(default=list, blank=True, editable=False)
    busy_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    busy_error = models.CharField(max_length=300, blank=True, editable=False)
    busy_refresh_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "agent call settings"

    def __str__(self) -> str:
        return f"call settings of {self.user}"


class OrganizationCallPolicy(models.Model):
    """Per organization: implementation support, and a required meeting provider."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="call_policy"
    )
    implementation_support = models.BooleanField(default=False)
    required_provider = models.CharField(
        max_length=10,
        choices=MeetingProvider.choices,
        blank=True,
        default="",
        help_text="e.g. WebEx for customers that allow only Cisco systems.",
    )

    class Meta:
        verbose_name_plural = "organization call policies"

    def __str__(self) -> str:
        return f"call policy of {self.organization}"


class BookingLink(models.Model):
    """A single-use link bound to (ticket, agent or group, event type); only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.SupportGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reschedules = models.ForeignKey(
        "Call", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agent__isnull=False) | models.Q(group__isnull=False),
                name="calls_link_agent_or_group",
            )
        ]

    def __str__(self) -> str:
        return f"booking link #{self.pk} for ticket #{self.ticket_id}"


class CallStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    ENDED = "ended", "Ended"
    CANCELED = "canceled", "Canceled"
    NO_SHOW = "no_show", "No-show"


ACTIVE_STATUSES = (CallStatus.SCHEDULED, CallStatus.IN_PROGRESS)


class SecondRole(models.TextChoices):
    SHADOW = "shadow", "Shadow"
    BACKUP = "backup", "Backup"


class FlowStep(models.TextChoices):
    START = "start", "Call card at the start"
    NO_SHOW = "no_show", "No-show prompt at 10 minutes"
    WRAP_UP = "wrap_up", "Wrap-up reminder at 45 minutes"
    SUMMARY = "summary", "Summary reminder"
    DONE = "", "Nothing due"


class Call(models.Model):
    """One call about one ticket. Rescheduling keeps the row (and the .ics UID)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="calls")
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="calls")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calls"
    )
    second_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="second_calls",
    )
    second_role = models.CharField(
        max_length=10, choices=SecondRole.choices, blank=True, default=""
    )
    link = models.OneToOneField(
        BookingLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="call"
    )
    status = models.CharField(
        max_length=12, choices=CallStatus.choices, default=CallStatus.SCHEDULED
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    uid = models.CharField(max_length=120, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    invitee_name = models.CharField(max_length=200)
    invitee_email = models.EmailField()
    invitee_time_zone = models.CharField(max_length=64, default="UTC")
    answers = models.JSONField(default=dict, blank=True)
    meeting_url = models.URLField(max_length=500)
    meeting_provider = models.CharField(max_length=10, choices=MeetingProvider.choices)
    lock_meeting = models.BooleanField(default=False)
    immediate = models.BooleanField(default=False, help_text="Started at once (urgent).")
    customer_joined_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    summary_posted_at = models.DateTimeField(null=True, blank=True)
    canceled_reason = models.CharField(max_length=300, blank=True)
    flow_step = models.CharField(
        max_length=10, choices=FlowStep.choices, blank=True, default=FlowStep.START
    )
    flow_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [
            models.Index(fields=["agent", "blocked_start"]),
            models.Index(fields=["start"]),
            models.Index(fields=["ticket", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="calls_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(blocked_start__lte=models.F("start"))
                & models.Q(blocked_end__gte=models.F("end")),
                name="calls_blocked_covers_call",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk} (ticket #{self.ticket_id})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def answer_rows(self) -> list[tuple[str, str]]:
        """(question label, answer as text) in the event type's question order."""
        labels = {q["key"]: q["label"] for q in self.event_type.questions or []}
        order = [q["key"] for q in self.event_type.questions or []]
        keys = [k for k in order if k in (self.answers or {})]
        keys += [k for k in (self.answers or {}) if k not in keys]
        rows = []
        for key in keys:
            value = self.answers[key]
            text = "yes" if value is True else "no" if value is False else str(value)
            rows.append((labels.get(key, key), text))
        return rows


class FeedKind(models.TextChoices):
    TEAM = "team", "Support team calendar"
    MINE = "mine", "My calls"


class CallFeedToken(FeedToken):
    """The secret token of an agent's iCal feed (team or own calls); only the hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="call_feeds"
    )
    kind = models.CharField(max_length=10, choices=FeedKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="calls_feed_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} feed of {self.user}"


class CallSuggestion(models.Model):
    """The ticket looks like it needs a call (suggest.py), and why."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="call_suggestion"
    )
    reasons = models.JSONField(default=list)
    score = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"call suggested for ticket #{self.ticket_id}"
