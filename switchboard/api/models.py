"""Rate-limit buckets (one row per client key and its current window, shared by all processes)
and the job statuses of API requests answered Zendesk-style with a job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class RateBucket(models.Model):
    """Requests counted for `key` (a user, a client address, a portal form and address) in the
    window numbered `window` (Unix time // the limit's window length)."""

    key = models.CharField(max_length=80, unique=True)
    window = models.BigIntegerField(help_text="Unix time // window length of the counted window.")
    count = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(
        default=0,
        db_index=True,
        help_text="Unix time at which the window ends; housekeeping deletes rows past it.",
    )

    def __str__(self) -> str:
        return f"{self.key}: {self.count} in window {self.window}"


def _job_id() -> str:
    return uuid.uuid4().hex


class JobStatus(models.Model):
    """What an API request that Zendesk answers with a job status did (GET /job_statuses/{id}).

    Only the user who started it (and admins) can read it, until it expires (a day)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WORKING = "working", "Working"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.CharField(primary_key=True, max_length=32, default=_job_id, editable=False)
    kind = models.CharField(max_length=40, help_text='e.g. "merge"')
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_statuses"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    results = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    # Readable until then; the sweeper deletes it (api.apps), as Zendesk forgets job statuses.
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "job statuses"

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"
