"""Signed single-purpose incident links (calendar-feed tokens: core/tokens.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing

LINK_SALT = "switchboard.oncall.incident-link"
LINK_ACTIONS = ("acknowledge", "resolve")


def link_max_age() -> int:
    return int(getattr(settings, "SWITCHBOARD_ONCALL_LINK_MAX_AGE", 24 * 3600))


def sign_incident_link(*, incident_id: int, user_id: int, action: str) -> str:
    """A token that lets `user_id` do exactly `action` to `incident_id`, until it expires."""
    if action not in LINK_ACTIONS:
        raise ValueError(f"unknown incident link action {action!r}")
    return signing.dumps({"i": incident_id, "u": user_id, "a": action}, salt=LINK_SALT)


def read_incident_link(token: str) -> dict[str, Any] | None:
    """The signed payload, or None when forged, altered or expired."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=link_max_age())
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    if not isinstance(data, dict) or data.get("a") not in LINK_ACTIONS:
        return None
    return data
