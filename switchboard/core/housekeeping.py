"""Pruning of rows that only grow (finished jobs, stale rate-limit buckets) and of attachment
files no row points at (written by a process that died before its transaction committed).

Each worker calls `prune()` about once an hour from its sweep loop. The deletes are idempotent,
so several workers pruning at once only repeat an empty DELETE. Failed ("dead") jobs are kept
longer than succeeded ones, so they stay visible in the admin while someone looks into them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

BATCH = 5_000


def _delete_in_batches(queryset) -> int:  # type: ignore[no-untyped-def]
    """Delete in bounded batches so one prune never holds a long lock."""
    deleted = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += queryset.model.objects.filter(pk__in=ids).delete()[0]


def prune(now: datetime | None = None) -> dict[str, int]:
    """Delete succeeded jobs older than SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS, failed ones older
    than SWITCHBOARD_KEEP_FAILED_JOBS_DAYS, and rate-limit buckets whose window has ended."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from switchboard.api.models import RateBucket

    now = now or timezone.now()
    keep_ok = timedelta(days=settings.SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS)
    keep_failed = timedelta(days=settings.SWITCHBOARD_KEEP_FAILED_JOBS_DAYS)
    counts = {
        "succeeded_jobs": _delete_in_batches(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - keep_ok
            )
        ),
        "failed_jobs": _delete_in_batches(
            DBTaskResult.objects.filter(
                status=TaskResultStatus.FAILED, finished_at__lt=now - keep_failed
            )
        ),
        # A bucket counts its own window (a minute for the API, ten for the portal's forms):
        # only one whose window has ended is dead.
        "rate_buckets": _delete_in_batches(
            RateBucket.objects.filter(expires_at__lt=int(now.timestamp()))
        ),
    }
    counts["orphan_files"] = prune_orphan_attachment_files(now)
    if any(counts.values()):
        logger.info("housekeeping pruned %s", counts)
    return counts


ORPHAN_GRACE = timedelta(days=1)


def prune_orphan_attachment_files(now: datetime | None = None) -> int:
    """Delete files under attachments/ that no Attachment row names and that are older than a
    day (an upload in flight has a file before its row commits, so young files are left alone).

    One query per month directory, whatever the number of files in it.
    """
    from django.core.files.storage import default_storage

    from switchboard.tickets.models import Attachment

    now = now or timezone.now()
    deleted = 0
    try:
        years = default_storage.listdir("attachments")[0]
    except (FileNotFoundError, NotImplementedError):
        return 0
    for year in years:
        for month in default_storage.listdir(f"attachments/{year}")[0]:
            folder = f"attachments/{year}/{month}"
            names = default_storage.listdir(folder)[1]
            if not names:
                continue
            known = set(
                Attachment.objects.filter(file__startswith=folder + "/").values_list(
                    "file", flat=True
                )
            )
            for name in names:
                path = f"{folder}/{name}"
                if path in known:
                    continue
                if now - default_storage.get_modified_time(path) < ORPHAN_GRACE:
                    continue
                default_storage.delete(path)
                deleted += 1
    return deleted
