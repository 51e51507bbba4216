"""Attachment files no row points at (written by a process that died before its transaction
committed): deleted by the worker's hourly housekeeping (registered in TicketsConfig.ready)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

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
