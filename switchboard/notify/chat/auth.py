"""Slack request signing (v0): verify a slash command came from the chat workspace.

Slack signs ``v0:{X-Slack-Request-Timestamp}:{raw body}`` with HMAC-SHA256 under the app's
signing secret and sends ``X-Slack-Signature: v0=<hex>``. The check itself is slack_sdk's
`SignatureVerifier` (constant-time comparison, 5-minute timestamp tolerance against replays);
this module only adds the reason for a refusal and takes the clock as an argument.
"""

from __future__ import annotations

from slack_sdk.signature import Clock, SignatureVerifier

MAX_AGE_SECONDS = 5 * 60  # slack_sdk's tolerance; checked here too, to say "stale"


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Slack-Signature`` value for `body` sent at `timestamp` (for tests and tools)."""
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None
    return signature


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
) -> str | None:
    """None when the request is authentic and fresh; otherwise a short reason to reject it."""
    if not secret or not secret.strip():
        return "signing secret not configured"
    if not timestamp or not signature:
        return "missing signature headers"
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "bad timestamp"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return "stale timestamp"
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return "bad signature"
    return None
