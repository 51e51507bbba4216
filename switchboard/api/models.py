"""Rate-limit buckets: one row per client key and one-minute window, shared by all processes."""

from __future__ import annotations

from django.db import models


class RateBucket(models.Model):
    """Requests counted for `key` (a user or a client address) in the minute `window`."""

    key = models.CharField(max_length=80, unique=True)
    window = models.BigIntegerField(help_text="Unix time // 60 of the counted minute.")
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} in window {self.window}"
