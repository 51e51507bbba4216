"""Housekeeping deletes only rows that can no longer matter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from switchboard.api import ratelimit
from switchboard.api.models import RateBucket
from switchboard.core import housekeeping
from switchboard.core.worker import Worker

pytestmark = pytest.mark.django_db


def _job(status: str, finished_days_ago: float | None) -> DBTaskResult:
    now = timezone.now()
    finished = None if finished_days_ago is None else now - timedelta(days=finished_days_ago)
    return DBTaskResult.objects.create(
        status=status,
        task_path="switchboard.core.tests.sample_jobs.noop",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        priority=0,
        finished_at=finished,
        return_value=None,
    )


def test_prune_keeps_recent_running_and_dead_jobs_within_their_retention(settings):
    """Succeeded jobs go after 7 days, dead ones after 30; ready and running ones never."""
    settings.SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS = 7
    settings.SWITCHBOARD_KEEP_FAILED_JOBS_DAYS = 30
    old_ok = _job(TaskResultStatus.SUCCESSFUL, 8)
    new_ok = _job(TaskResultStatus.SUCCESSFUL, 1)
    dead_10d = _job(TaskResultStatus.FAILED, 10)
    dead_40d = _job(TaskResultStatus.FAILED, 40)
    ready = _job(TaskResultStatus.READY, None)
    running = _job(TaskResultStatus.RUNNING, None)

    counts = housekeeping.prune()

    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {new_ok.pk, dead_10d.pk, ready.pk, running.pk}
    assert old_ok.pk not in left and dead_40d.pk not in left
    assert counts["succeeded_jobs"] == 1 and counts["failed_jobs"] == 1
    again = housekeeping.prune()
    assert again["succeeded_jobs"] == again["failed_jobs"] == again["rate_buckets"] == 0


def test_prune_drops_rate_buckets_whose_window_has_ended_only():
    """Live counters stay, whatever their window's length: the API's minute and the portal's ten
    minutes (pruning "anything older than a minute" reset the portal's limits every hour)."""
    now = timezone.now().timestamp()
    ratelimit.count("user:1", limit=700, window_seconds=60, now=now)
    ratelimit.count("ip:10.0.0.1", limit=700, window_seconds=60, now=now - 90 * 60)
    # A portal counter from 8 minutes ago, in a window that is still open (started on a
    # ten-minute boundary at most 10 minutes back).
    window_start = (now // 600) * 600
    for _ in range(4):
        ratelimit.count(
            "portal:register:203.0.113.9", limit=10, window_seconds=600, now=window_start
        )
    ratelimit.count("portal:register:203.0.113.8", limit=10, window_seconds=600, now=now - 1200)

    assert housekeeping.prune()["rate_buckets"] == 2
    assert set(RateBucket.objects.values_list("key", flat=True)) == {
        "user:1",
        "portal:register:203.0.113.9",
    }
    # The surviving portal counter still counts: the fifth attempt is the fifth.
    again = ratelimit.count("portal:register:203.0.113.9", limit=10, window_seconds=600, now=now)
    assert again.remaining == 10 - 5


def test_apps_register_their_pruners_and_prune_reports_each(monkeypatch):
    """Core prunes only its job rows and runs what the apps registered in their ready():
    the API's rate buckets and tickets' orphan files, plus any newly registered one."""
    assert {"rate_buckets", "orphan_files"} <= set(housekeeping._PRUNERS)
    seen = []
    monkeypatch.setitem(housekeeping._PRUNERS, "widgets", lambda now: seen.append(now) or 3)
    now = timezone.now()

    counts = housekeeping.prune(now)

    assert seen == [now]
    assert counts["widgets"] == 3
    assert set(counts) == {
        "succeeded_jobs",
        "failed_jobs",
        "rate_buckets",
        "orphan_files",
        "widgets",
    }


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_on_its_first_sweep_then_hourly(settings):
    """A worker's sweep runs housekeeping once, not on every 5-second sweep. Committed rows, as
    in production: between a sweep's batches the worker claims urgent jobs, and a claim starts
    from fresh connections (close_old_connections), which a test transaction cannot survive."""
    settings.SWITCHBOARD_HOUSEKEEPING_EVERY = 3600
    _job(TaskResultStatus.SUCCESSFUL, 30)
    # Other sweeps may queue their own jobs on a first sweep (the CRM's daily checks): count ours.
    ours = DBTaskResult.objects.filter(task_path="switchboard.core.tests.sample_jobs.noop")
    worker = Worker(burst=True)
    worker.sweep()
    assert ours.count() == 0
    _job(TaskResultStatus.SUCCESSFUL, 30)
    worker.sweep()
    assert ours.count() == 1


def test_orphan_attachment_files_older_than_a_day_are_deleted(settings, tmp_path, agent):
    """A file with a row stays; a fresh orphan (upload in flight) stays; an old orphan goes."""
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from switchboard.tickets.actions.create import create_ticket
    from switchboard.tickets.housekeeping import prune_orphan_attachment_files
    from switchboard.tickets.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    ticket = create_ticket(actor=agent, subject="Logs", description="see attached", requester=agent)
    kept = Attachment.objects.create(
        ticket=ticket,
        file=ContentFile(b"log line", name="kept.txt"),
        filename="kept.txt",
        content_type="text/plain",
        size=8,
        sha256="0" * 64,
    )
    folder = os.path.dirname(kept.file.name)
    old_orphan = default_storage.save(f"{folder}/old.txt", ContentFile(b"x"))
    young_orphan = default_storage.save(f"{folder}/young.txt", ContentFile(b"y"))
    two_days_ago = time.time() - 2 * 86400
    for name in (kept.file.name, old_orphan):
        os.utime(default_storage.path(name), (two_days_ago, two_days_ago))

    assert prune_orphan_attachment_files() == 1
    assert default_storage.exists(kept.file.name)
    assert default_storage.exists(young_orphan)
    assert not default_storage.exists(old_orphan)
