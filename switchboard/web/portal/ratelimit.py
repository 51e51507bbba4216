"""Per-address limits on the portal's anonymous forms (registration, password reset).

Counted in the database (the API's `api_ratebucket` table, with `portal:` keys and ten-minute
windows), so every web process sees the same count; one statement per request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

WINDOW_SECONDS = 600
_UPSERT = """
INSERT INTO api_ratebucket ("key", "window", "count") VALUES (%s, %s, 1)
ON CONFLICT ("key") DO UPDATE SET
    "count" = CASE WHEN api_ratebucket."window" = excluded."window"
                   THEN api_ratebucket."count" + 1 ELSE 1 END,
    "window" = excluded."window"
RETURNING "count"
"""


def limit() -> int:
    """Attempts per client address per ten minutes (0 turns the limit off)."""
    return int(getattr(settings, "SWITCHBOARD_PORTAL_RATE_LIMIT", 10))


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def allowed(request: HttpRequest, what: str) -> bool:
    """Count one attempt at `what` from the request's address; False once over the limit."""
    most = limit()
    if most <= 0:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    key = f"portal:{what}:{client_address(request)}"[:80]
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, window])
        (count,) = cursor.fetchone()
    return bool(count <= most)
