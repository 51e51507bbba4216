"""The outbox's data: where notifications go (endpoints), what was sent (deliveries) and each
try (attempts). The app label stays `notify`; `notify/models.py` re-exports these for Django."""

from __future__ import annotations

from django.db import models

from switchboard.core.generations import watched_manager


class EndpointKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON)"
    CHAT = "chat", "Chat channel (Slack-compatible incoming webhook)"


class Endpoint(models.Model):
    """A webhook receiver or chat channel. Deliveries to it are signed with its own secret."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=EndpointKind.choices)
    url = models.CharField(max_length=500, help_text="http(s) URL that receives the POST.")
    # Event names this endpoint accepts (e.g. "ticket.created", "sla.breach"); empty = all.
    events = models.JSONField(default=list, blank=True)
    # Standard Webhooks signing secret (`whsec_` + base64 of 32 random bytes; outbox/signing.py),
    # random per endpoint, never derived from SECRET_KEY. The receiver holds the same value, so it
    # is stored as is; the admin shows it when it is created or rotated.
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the old secret still signs (a second signature) until this time.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The rule engine caches endpoints by name (notify/rules/config.py, namespace "rules").
    objects = watched_manager("rules")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Chat"
    # A record pushed to an external system through a sender another app registers
    # (notify.outbox.delivery.register_sender): the CRM case push.
    CRM = "crm", "CRM record"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead"
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One message to one recipient, written in the transaction of the change that caused it."""

    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    recipient = models.CharField(max_length=500, help_text="Email address or URL, as sent.")
    # A POST to `recipient` itself, not to a managed Endpoint (on-call chat webhooks): unsigned,
    # and `endpoint` is empty by design, not because the endpoint was deleted.
    raw_url = models.BooleanField(default=False)
    event = models.CharField(max_length=60, help_text="e.g. ticket.created, sla.warning")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who/what produced it: "trigger:12", "automation:3", "oncall:notification:7", "intake".
    source = models.CharField(max_length=80, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Email: {"subject", "text", "html", "headers", "reply_to", "message_id"}; webhook/chat: body.
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    dead_reason = models.TextField(blank=True)
    # Failed attempts are retried until this time (created or redelivered + the retry window).
    retry_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notify_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["ticket", "created_at"], name="notify_delivery_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} → {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """Each try, kept so the log shows the retries and what the receiver said."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    ok = models.BooleanField()
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="notify_attempt_unique")
        ]

    def __str__(self) -> str:
        outcome = "ok" if self.ok else "failed"
        return f"attempt {self.number} of delivery {self.delivery_id}: {outcome}"
