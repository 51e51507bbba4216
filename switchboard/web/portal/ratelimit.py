"""Per-address limits on the portal's anonymous forms (registration, password reset): ten-minute
windows counted by the shared database counter (`switchboard.api.ratelimit.count`), keyed on the
client address (`core.client_ip`: the real client behind a trusted proxy)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest

from switchboard.api import ratelimit
from switchboard.core.client_ip import client_ip

WINDOW_SECONDS = 600


def limit() -> int:
    """Attempts per client address per ten minutes (0 turns the limit off)."""
    return int(getattr(settings, "SWITCHBOARD_PORTAL_RATE_LIMIT", 10))


def client_address(request: HttpRequest) -> str:
    return client_ip(request)


def allowed(request: HttpRequest, what: str) -> bool:
    """Count one attempt at `what` from the request's address; False once over the limit."""
    key = f"portal:{what}:{client_address(request)}"
    return ratelimit.count(key, limit=limit(), window_seconds=WINDOW_SECONDS).allowed


def allowed_for(what: str, value: str, *, per_window: int) -> bool:
    """Count one attempt at `what` for `value` (e.g. the address a link is sent to), at most
    `per_window` per ten minutes whatever the client address; the portal limit's 0 turns it
    off."""
    if limit() == 0:
        return True
    digest = hashlib.sha256(value.casefold().encode()).hexdigest()[:40]
    key = f"portal:{what}:{digest}"
    return ratelimit.count(key, limit=per_window, window_seconds=WINDOW_SECONDS).allowed
