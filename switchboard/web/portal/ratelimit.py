"""Per-address limits on the portal's anonymous forms (registration, password reset): ten-minute
windows counted by the shared database counter (`switchboard.api.ratelimit.count`), keyed on the
client address (`core.client_ip`: the real client behind a trusted proxy)."""

from __future__ import annotations

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
