"""On-call rows: schedules and their layers and overrides, escalation policies, services,
incidents with their log, and the notifications sent for them (DOMAIN.md §5)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from switchboard.accounts.models import validate_time_zone
from switchboard.core.models import FeedToken


def new_integration_key() -> str:
    return secrets.token_hex(16)


class OnCallSchedule(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # sha256 of the secret calendar-feed token; the token itself is shown once on rotation.
    ical_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScheduleLayer(models.Model):
    """One rotation. `position` is the precedence (higher wins); an edit ends this row and adds
    a new row at the same position starting at the edit instant (edits apply to the future)."""

    schedule = models.ForeignKey(OnCallSchedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120, blank=True)
    # Ordered user ids: turn k belongs to users[k mod n].
    users = models.JSONField(default=list)
    rotation_virtual_start = models.DateTimeField()
    turn_length = models.DurationField()
    # [{"kind": "daily"|"weekly", "start_time": "HH:MM", "duration_minutes": int,
    #   "start_weekday": 0..6 (weekly only)}]
    restrictions = models.JSONField(default=list, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule", "position", "start"]
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_layer_sched_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                name="oncall_layer_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: {self.name or f'layer {self.position}'}"


class ScheduleOverride(models.Model):
    schedule = models.ForeignKey(OnCallSchedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["schedule", "start"]
        indexes = [models.Index(fields=["schedule", "end"], name="oncall_override_sched_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="oncall_override_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule}: override {self.start:%Y-%m-%d %H:%M}"


class UserCalendarFeed(FeedToken):
    """The secret token of a user's "just my shifts" feed across every schedule."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_feed"
    )

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"


class ContactChannel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat (direct webhook)"


class ContactMethod(models.Model):
    """Where a person is paged. Nobody configured: their account email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_contacts"
    )
    channel = models.CharField(max_length=10, choices=ContactChannel.choices)
    address = models.CharField(max_length=500, help_text="Email address or chat webhook URL.")

    class Meta:
        ordering = ["user", "channel", "pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.channel} {self.address}"


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    # How many times the whole policy repeats after its last level when nobody acknowledges.
    num_loops = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "escalation policies"

    def __str__(self) -> str:
        return self.name


class EscalationLevel(models.Model):
    """A level is notified, then waits `delay_minutes` for an acknowledgement before the next
    level (or, after the last one, before looping back to the first)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveSmallIntegerField(default=0)
    delay_minutes = models.PositiveIntegerField(default=30)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    schedules = models.ManyToManyField(OnCallSchedule, blank=True, related_name="+")

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="oncall_level_position_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} level {self.position}"


class Service(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    escalation_policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    # Events API v2 routing key (PagerDuty shows integration keys to admins too).
    integration_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=new_integration_key
    )
    email_address = models.EmailField(unique=True, null=True, blank=True)
    chat_alert = models.BooleanField(default=True, help_text="Post new incidents to chat.")
    chat_webhook_url = models.URLField(blank=True)
    scheduling_only = models.BooleanField(
        default=False, help_text="Exists for its schedules only: never opens incidents."
    )
    pages_for_urgent_priority_tickets = models.BooleanField(
        default=False,
        help_text="Helpdesk rule: an urgent ticket from a priority-support organization "
        "opens an incident here.",
    )
    ack_timeout_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="An acknowledged incident re-triggers after this long."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IncidentStatus(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    INFO = "info", "Info"


class Incident(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incidents")
    summary = models.CharField(max_length=1024)
    dedup_key = models.CharField(max_length=255)
    status = models.CharField(
        max_length=15, choices=IncidentStatus.choices, default=IncidentStatus.TRIGGERED
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.CRITICAL)
    source = models.CharField(max_length=255, blank=True)
    component = models.CharField(max_length=255, blank=True)
    group = models.CharField(max_length=255, blank=True)
    event_class = models.CharField(max_length=255, blank=True)
    custom_details = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=20, default="api", help_text="api, email, helpdesk, web")
    ticket_id = models.BigIntegerField(null=True, blank=True)
    # The escalation policy as it was when the incident triggered.
    policy_snapshot = models.JSONField(default=dict)
    # Incremented by every escalation step: a stale job or sweep compares it before acting.
    escalation_step = models.PositiveIntegerField(default=0)
    current_level = models.PositiveSmallIntegerField(default=0)
    current_loop = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    ack_timeout_at = models.DateTimeField(null=True, blank=True)
    # Set by a snooze (an acknowledgement until then): the ack-timeout sweep re-triggers at
    # `ack_timeout_at`, which the snooze sets to the same instant.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    exhausted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["next_escalation_at"], name="oncall_incident_next_esc_idx"),
            models.Index(fields=["ack_timeout_at"], name="oncall_incident_ack_to_idx"),
            models.Index(fields=["service", "status"], name="oncall_incident_svc_status_idx"),
            # the workspace's incident tabs: by status, newest first
            models.Index(fields=["status", "-created_at"], name="oncall_incident_status_new_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dedup_key"],
                condition=~Q(status="resolved"),
                name="oncall_incident_open_dedup_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.summary[:60]}"


class LogKind(models.TextChoices):
    TRIGGER = "trigger", "Triggered"
    DEDUPLICATED = "deduplicated", "Repeat trigger deduplicated"
    ESCALATE = "escalate", "Level notified"
    SKIP = "skip", "Empty level skipped"
    LOOP = "loop", "Policy repeated"
    EXHAUSTED = "exhausted", "Escalation exhausted"
    NOTIFY = "notify", "Notification queued"
    NOTIFIED = "notified", "Notification sent"
    NOTIFY_FAILED = "notify_failed", "Notification failed"
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    ACK_TIMEOUT = "ack_timeout", "Acknowledgement timed out"
    RESOLVE = "resolve", "Resolved"
    CHAT_ALERT = "chat_alert", "Chat channel alerted"
    REASSIGN = "reassign", "Reassigned"
    ESCALATE_NOW = "escalate_now", "Escalated by hand"
    SNOOZE = "snooze", "Snoozed"


class IncidentLogEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=LogKind.choices)
    message = models.CharField(max_length=1000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.SmallIntegerField(null=True, blank=True)
    loop = models.SmallIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.message}"


class NotificationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat (direct)"
    CHAT_CHANNEL = "chat_channel", "Chat channel alert"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Notification(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=15, choices=NotificationChannel.choices)
    address = models.CharField(max_length=500)
    # incident:step:user:channel:address-hash — one delivery per step and recipient, ever.
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    level = models.SmallIntegerField(null=True, blank=True)
    loop = models.SmallIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["incident", "status"], name="oncall_notif_inc_status_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address} ({self.status})"
