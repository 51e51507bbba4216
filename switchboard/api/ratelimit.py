"""Fixed-window request counters in the database: the API's per-client limit and the portal's
registration / password-reset limits share this one statement.

One statement per request (INSERT ... ON CONFLICT DO UPDATE ... RETURNING; on PostgreSQL, outside
a caller's transaction, committed asynchronously) increments the key's counter atomically, so
every gunicorn worker and every host sharing the database sees the same count. PostgreSQL and
SQLite (3.35+) both run it as written. Each row records when its window ends (`expires_at`), so
housekeeping deletes only counters whose window is over, whatever the window's length.
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
# The same, as one autocommitted statement whose own commit does not wait for the WAL flush:
# set_config(..., true) lasts until the end of the statement's implicit transaction, so the
# connection's setting is untouched (tested in api/tests/test_ratelimit_counter.py).
_UPSERT_ASYNC_COMMIT = _UPSERT.replace(
    "VALUES (%s, %s, 1, %s)",
    "SELECT %s, %s, 1, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed",
)


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
    hits = _increment(key[:80], window, ends)
    return Allowance(
        limit=limit,
        remaining=max(0, limit - hits),
        retry_after=max(1, int(ends - now)),
        allowed=hits <= limit,
    )


def _increment(key: str, window: int, ends: int) -> int:
    # Outside a caller's transaction on PostgreSQL, committed without waiting for the WAL flush:
    # a counter lost in a database crash lets a client make a few more requests in that minute,
    # and each API request saves a disk flush and the BEGIN/SET/COMMIT round trips (0.35 ms ->
    # 0.10-0.16 ms a statement on the benchmark machine). Never inside a caller's transaction,
    # whose own commit must stay synchronous.
    relaxed = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_ASYNC_COMMIT if relaxed else _UPSERT, [key, window, ends])
        return int(cursor.fetchone()[0])


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
