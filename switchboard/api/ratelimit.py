"""Fixed-window request counters in the database: the API's per-client limit and the portal's
registration / password-reset limits share this one statement.

One statement per request (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) increments the key's
counter atomically, so every gunicorn worker and every host sharing the database sees the same
count. PostgreSQL and SQLite (3.35+) both run it as written. Each row records when its window
ends (`expires_at`), so housekeeping deletes only counters whose window is over, whatever the
window's length.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection

_UPSERT = """
INSERT INTO api_ratebucket ("key", "window", "count", "expires_at") VALUES (%s, %s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN api_ratebucket."window" = excluded."window"
                   THEN api_ratebucket."count" + 1 ELSE 1 END,
    "window" = excluded."window",
    "expires_at" = excluded."expires_at"
RETURNING "count"
"""


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets
    allowed: bool


def count(key: str, *, limit: int, window_seconds: int, now: float | None = None) -> Allowance:
    """Count one request for `key` in the current window of `window_seconds`; `limit` <= 0 turns
    limiting off (nothing is counted)."""
    if limit <= 0:
        return Allowance(limit=0, remaining=0, retry_after=0, allowed=True)
    now = time.time() if now is None else now
    window = int(now // window_seconds)
    ends = (window + 1) * window_seconds
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key[:80], window, ends])
        (hits,) = cursor.fetchone()
    return Allowance(
        limit=limit,
        remaining=max(0, limit - hits),
        retry_after=max(1, int(ends - now)),
        allowed=hits <= limit,
    )


def limit_per_minute() -> int:
    return int(getattr(settings, "SWITCHBOARD_API_RATE_LIMIT", 700))


def hit(key: str, *, now: float | None = None) -> Allowance:
    """Count one API request for `key` against the per-minute limit."""
    return count(key, limit=limit_per_minute(), window_seconds=60, now=now)


def prune_ended_windows(now: datetime) -> int:
    """Delete the counters whose window has ended (the worker's hourly housekeeping; a bucket
    counts its own window: a minute for the API, ten for the portal's forms)."""
    from switchboard.api.models import RateBucket
    from switchboard.core.housekeeping import delete_in_batches

    return delete_in_batches(RateBucket.objects.filter(expires_at__lt=int(now.timestamp())))
