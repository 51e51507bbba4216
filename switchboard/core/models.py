"""Rows the jobs layer keeps: worker heartbeats and generic stored deadlines (timers)."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running worker process, refreshed every few seconds.

    The health check reads it, and a worker silent for SWITCHBOARD_WORKER_DEAD_AFTER seconds is
    taken for dead: the jobs it was running go back to the queue.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    jobs_run = models.PositiveIntegerField(default=0)
    sweeps_run = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class Timer(models.Model):
    """A stored deadline: at `due_at` the sweeper calls the handler registered for `kind`.

    `(kind, key)` is unique, so scheduling the same deadline twice moves it instead of doubling
    it. A fired timer keeps its row (fired_at set) as the record that it fired exactly once.
    """

    kind = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="timer_kind_key_uniq")]
        indexes = [
            # The sweeper's scan: pending timers by due time. Partial on PostgreSQL and SQLite.
            models.Index(
                fields=["due_at"],
                name="timer_pending_due_idx",
                condition=models.Q(due_at__isnull=False),
            )
        ]
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} due {self.due_at}"
