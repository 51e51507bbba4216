"""Background side of email in: the IMAP poll, run by workers when SWITCHBOARD_IMAP_URL is set.

A sweep on `ImapCursor.next_poll_at` (every SWITCHBOARD_IMAP_POLL_SECONDS) moves the due time and
enqueues one poll job in the same transaction; the job polls under the cursor's lease, so two
workers never poll the same mailbox at once and a duplicate job just finds the lease taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from switchboard.core.jobs import enqueue, job
from switchboard.core.sweeps import register_sweep


def poll_interval() -> timedelta:
    return timedelta(seconds=max(5.0, float(settings.SWITCHBOARD_IMAP_POLL_SECONDS)))


@job(queue="default", max_attempts=3)
def poll_imap_job() -> dict[str, Any]:
    from switchboard.notify.mail.imap import poll_once

    result = poll_once()
    return {
        "skipped": result.skipped,
        "fetched": result.fetched,
        "outcomes": result.outcomes,
        "error": result.error,
    }


def schedule_poll(cursor: Any, now: datetime) -> None:
    """Sweep handler: the next poll is due one interval from now; this one runs as a job."""
    cursor.next_poll_at = now + poll_interval()
    cursor.save(update_fields=["next_poll_at"])
    enqueue(poll_imap_job)


def connect() -> None:
    if not getattr(settings, "SWITCHBOARD_IMAP_URL", ""):
        return
    from switchboard.notify.mail.models import ImapCursor

    register_sweep(
        "notify.imap_poll", model=ImapCursor, due_field="next_poll_at", handler=schedule_poll
    )
