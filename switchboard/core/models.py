"""Rows the jobs layer keeps: worker heartbeats and generic stored deadlines (timers); and the
abstract secret-feed-token row the calendar feeds of on-call and calls share."""

from __future__ import annotations

from typing import Any, Self

from django.db import models

from switchboard.core.tokens import hash_token, new_token


class FeedToken(models.Model):
    """The secret token of a calendar feed, kept only as its hash (core/tokens.py). A subclass
    adds its owner (a `user` foreign key, and any other key of the row); `rotate` issues a new
    token for an owner and `by_token` finds the row a presented token names."""

    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @classmethod
    def rotate(cls, **owner: Any) -> str:
        """A new token for the row of `owner` (created if missing); the old one stops working.
        Returned once: only its hash is stored."""
        token = new_token()
        cls.objects.update_or_create(**owner, defaults={"token_hash": hash_token(token)})  # type: ignore[attr-defined]
        return token

    @classmethod
    def by_token(cls, token: str) -> Self | None:
        """The row (with its user) a presented token names, or None; no work for junk input."""
        if not token or len(token) > 200:
            return None
        row: Self | None = (
            cls.objects.select_related("user").filter(token_hash=hash_token(token)).first()  # type: ignore[attr-defined]
        )
        return row


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


class ConfigGeneration(models.Model):
    """The current generation of one namespace of cached configuration (core/generations.py).

    Every write to a watched model sets a new random token in the writer's transaction; a process
    that cached rows under another token reads them again."""

    name = models.CharField(primary_key=True, max_length=50)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.name}@{self.token}"
