"""Notify data: where notifications go (endpoints), what was sent (the delivery log) and what
arrived by email (the inbound log).

Rule models (triggers, time rules) live in `rule_models.py` and are re-exported here so Django
sees one app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
    # Standard Webhooks signing secret (`whsec_` + base64 of 32 random bytes; notify/signing.py),
    # random per endpoint, never derived from SECRET_KEY. The receiver holds the same value, so it
    # is stored as is; the admin shows it when it is created or rotated.
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the old secret still signs (a second signature) until this time.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Chat"
    # A record pushed to an external system through a sender another app registers
    # (notify.delivery.register_sender): the CRM case push.
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


class InboundSource(models.TextChoices):
    PIPE = "pipe", "MTA pipe (ingest_email)"
    SMTP = "smtp", "SMTP listener"
    IMAP = "imap", "IMAP polling"


class InboundOutcome(models.TextChoices):
    CREATED = "created", "Created a ticket"
    THREADED = "threaded", "Added to a ticket"
    FOLLOW_UP = "follow_up", "Created a follow-up"
    MAILING_LIST = "mailing_list", "Mailing list: created closed"
    IGNORED = "ignored", "Ignored (auto-reply, bounce, loop, duplicate)"
    REFUSED = "refused", "Refused (no permission)"
    REJECTED = "rejected", "Rejected (unreadable)"
    INCIDENT = "incident", "Opened an on-call incident"


class InboundEmail(models.Model):
    """Every message the intake saw, and what it did with it (also the duplicate check)."""

    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    source = models.CharField(max_length=10, choices=InboundSource.choices)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=15, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # A second delivery of a Message-ID already seen: logged, never acted on. The unique
    # constraint below makes two concurrent deliveries of one message create one ticket.
    is_duplicate = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~models.Q(message_id="") & models.Q(is_duplicate=False),
                name="notify_inbound_message_id_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject} ({self.outcome})"


class ImapCursor(models.Model):
    """Where IMAP polling stands for one mailbox, and the lease that lets one worker poll it.

    The lease (`lease_owner`, `lease_until`) is taken with one conditional UPDATE, so several
    workers never poll the same mailbox at once; UIDVALIDITY is tracked so a rebuilt mailbox
    resets `last_uid`.
    """

    name = models.CharField(max_length=100, unique=True)
    mailbox = models.CharField(max_length=500, blank=True, help_text="user@host/folder")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    messages_received = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"IMAP {self.name} ({self.mailbox or 'not polled yet'})"


class ChatIdentity(models.Model):
    """A chat user (Slack workspace + user id) linked to a Switchboard agent: the support bot
    answers that chat user with this user's access, and refuses chat users with no link."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_identities"
    )
    team_id = models.CharField(max_length=32, help_text="Chat workspace id (Slack team_id).")
    chat_user_id = models.CharField(max_length=32, help_text="Chat user id (Slack user_id).")
    chat_user_name = models.CharField(max_length=150, blank=True)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "chat identity"
        verbose_name_plural = "chat identities"
        constraints = [
            models.UniqueConstraint(
                fields=["team_id", "chat_user_id"], name="notify_chat_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.chat_user_id} → {self.user}"


from switchboard.notify.rule_models import *  # noqa: E402, F403  (triggers and time rules)
