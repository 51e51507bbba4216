"""Agent workspace state that is not part of the record: who is replying on which ticket."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TicketPresence(models.Model):
    """An agent is writing a reply on a ticket, until `expires_at` (renewed while they type)."""

    class Activity(models.TextChoices):
        REPLYING = "replying", "is replying"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(max_length=10, choices=Activity.choices)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticket_presence_uniq")
        ]
        # The sweeper deletes expired rows (web.apps): it scans by expires_at.
        indexes = [models.Index(fields=["expires_at"], name="presence_expires_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.activity} on #{self.ticket_id}"
