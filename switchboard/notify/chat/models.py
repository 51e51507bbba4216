"""The chat bot's data: chat users linked to Switchboard agents."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
