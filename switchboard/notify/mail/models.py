"""Email intake's data: every inbound message and what the intake did with it, and where IMAP
polling stands per mailbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
