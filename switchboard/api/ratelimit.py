"""Per-client request limits in fixed one-minute windows, counted in the database.

One statement per request (INSERT ... ON CONFLICT DO UPDATE ... RETURNING) increments the client's
counter atomically, so every gunicorn worker and every host sharing the database sees the same
count. PostgreSQL and SQLite (3.35+) both run it as written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

_UPSERT = """
INSERT INTO api_ratebucket ("key", "window", "count") VALUES (%s, %s, 1)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN api_ratebucket."window" = excluded."window"
                   THEN api_ratebucket."count" + 1 ELSE 1 END,
    "window" = excluded."window"
RETURNING "count"
"""


@dataclass(frozen=True)
class Allowance:
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets
    allowed: bool


def limit_per_minute() -> int:
    return int(getattr(settings, "SWITCHBOARD_API_RATE_LIMIT", 700))


def hit(key: str, *, now: float | None = None) -> Allowance:
    """Count one request for `key` and say whether it is within the limit."""
    limit = limit_per_minute()
    now = time.time() if now is None else now
    window = int(now // 60)
    retry_after = max(1, 60 - int(now % 60))
    if limit <= 0:  # 0 turns limiting off
        return Allowance(limit=0, remaining=0, retry_after=0, allowed=True)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key[:80], window])
        (count,) = cursor.fetchone()
    return Allowance(
        limit=limit,
        remaining=max(0, limit - count),
        retry_after=retry_after,
        allowed=count <= limit,
    )
