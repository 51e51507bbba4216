"""Pruning of rows that only grow (finished jobs, and whatever the apps register: stale
rate-limit buckets, attachment files no row points at).

Each worker calls `prune()` about once an hour from its sweep loop. Core prunes its own job rows
and runs each registered pruner; apps register theirs from `AppConfig.ready()` with
`register(name, function)`, so core imports no app above it. The deletes are idempotent, so
several workers pruning at once only repeat an empty DELETE. Failed ("dead") jobs are kept
longer than succeeded ones, so they stay visible in the admin while someone looks into them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

BATCH = 5_000

# name (the key in prune()'s counts) -> function(now) returning how many it deleted.
_PRUNERS: dict[str, Callable[[datetime], int]] = {}


def register(name: str, pruner: Callable[[datetime], int]) -> None:
    """Run `pruner(now)` on every prune; its return value is reported as `name`."""
    _PRUNERS[name] = pruner


def delete_in_batches(queryset) -> int:  # type: ignore[no-untyped-def]
    """Delete in bounded batches so one prune never holds a long lock."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete succeeded jobs older than SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS and failed ones
    older than SWITCHBOARD_KEEP_FAILED_JOBS_DAYS, then run each registered pruner."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    keep_ok = timedelta(days=settings.SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS)
    keep_failed = timedelta(days=settings.SWITCHBOARD_KEEP_FAILED_JOBS_DAYS)
    counts = {
        "succeeded_jobs": delete_in_batches(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - keep_ok
            )
        ),
        "failed_jobs": delete_in_batches(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.FAILED, finished_at__lt=now - keep_failed
            )
        ),
    }
    for name, pruner in _PRUNERS.items():
        counts[name] = pruner(now)
    if any(counts.values()):
        logger.info("housekeeping pruned %s", counts)
    return counts
