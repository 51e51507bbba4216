"""Worker side: refresh agents' busy calendars (iCal URLs) from a stored due time.

The sweep claims due `AgentCallSettings` rows; each fetch has a timeout and a size cap, and a
failure keeps the last good busy list (recorded in `busy_error`) and tries again later.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings

from switchboard.calls import ics
from switchboard.calls.models import AgentCallSettings
from switchboard.core.jobs import enqueue, job
from switchboard.core.sweeps import register_sweep

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10
HORIZON = timedelta(days=90)


def refresh_every() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "SWITCHBOARD_CALLS_BUSY_REFRESH_MINUTES", 15)))


def fetch(url: str) -> bytes:
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("the calendar URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"User-Agent": "Switchboard-calls/1"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        body: bytes = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError(f"the calendar is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return body


def refresh_busy(row: AgentCallSettings, now: datetime) -> None:
    """Read the agent's calendar into `busy` (UTC pairs from yesterday to 90 days ahead)."""
    row.busy_refresh_due_at = now + refresh_every() if row.calendar_url else None
    if not row.calendar_url:
        row.busy, row.busy_error = [], ""
    else:
        try:
            text = fetch(row.calendar_url)
            zone = row.user.time_zone or "UTC"
            busy = ics.busy_intervals(
                text, start=now - timedelta(days=1), end=now + HORIZON, zone=zone
            )
        except (OSError, ValueError, urllib.error.URLError) as exc:
            row.busy_error = f"{type(exc).__name__}: {exc}"[:300]
        else:
            row.busy = [[a.isoformat(), b.isoformat()] for a, b in busy]
            row.busy_error = ""
            row.busy_refreshed_at = now
    row.save(update_fields=["busy", "busy_error", "busy_refreshed_at", "busy_refresh_due_at"])


@job(queue="calls", max_attempts=3, backoff_base=30.0, backoff_max=600.0)
def refresh_busy_calendar(settings_id: int) -> str:
    """Fetch outside any transaction (a slow calendar server must not hold a lock), then save."""
    from django.utils import timezone

    row = AgentCallSettings.objects.select_related("user").filter(pk=settings_id).first()
    if row is None:
        return "gone"
    refresh_busy(row, timezone.now())
    return row.busy_error or "ok"


def _handle(row: AgentCallSettings, now: datetime) -> None:
    # The sweep only hands the fetch to a job and moves the due time on (idempotent: a second
    # run of the job fetches again and writes the same thing).
    AgentCallSettings.objects.filter(pk=row.pk).update(busy_refresh_due_at=now + refresh_every())
    enqueue(refresh_busy_calendar, row.pk)


def register_sweeps() -> None:
    register_sweep(
        "calls.busy_calendars",
        model=AgentCallSettings,
        due_field="busy_refresh_due_at",
        handler=_handle,
        batch_size=20,
    )
