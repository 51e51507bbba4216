"""Slack request signing (v0): verify a slash command came from the chat workspace.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 under the app's
signing secret and sends ``X-Slack-Signature: v0=<hex>``. Pure: no Django, no clock of its own.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_AGE_SECONDS = 5 * 60
VERSION = "v0"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value for `body` sent at `timestamp` (for tests and tools)."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    max_age: int = MAX_AGE_SECONDS,
) -> str | None:
    """None when the request is authentic and fresh; otherwise a short reason to reject it."""
    if not secret:
        return "signing secret not configured"
    if not timestamp or not signature:
        return "missing signature headers"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now - sent) > max_age:
        return "stale timestamp"
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return "bad signature"
    return None
