"""Webhook signatures, the Standard Webhooks scheme (https://www.standardwebhooks.com/), signed
with the `standardwebhooks` library.

Every POST to an endpoint carries `webhook-id` (the delivery's idempotency key: the same on every
retry, so a receiver can drop duplicates), `webhook-timestamp` (Unix seconds of this attempt: a
receiver refuses stale or replayed requests, the library's verifier allows five minutes) and
`webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). Each endpoint has its own
random secret (`whsec_` + base64 of 32 random bytes), stored on the endpoint and shown to the
admin when it is created or rotated; it has nothing to do with SECRET_KEY. Rotating keeps the
previous secret for an overlap window (SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS): meanwhile each
request carries two signatures, one per secret, so the receiver can switch at its own pace.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from switchboard.notify.outbox.models import Endpoint

SECRET_PREFIX = "whsec_"
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def rotation_overlap() -> timedelta:
    return timedelta(hours=float(getattr(settings, "SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS", 24)))


def endpoint_secret(endpoint: Endpoint) -> str:
    """The secret the receiver of `endpoint` verifies signatures with."""
    if not endpoint.secret:
        raise ValueError(f"endpoint {endpoint.pk} has no signing secret")
    return endpoint.secret


def signing_secrets(endpoint: Endpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap window lasts."""
    keys = [endpoint_secret(endpoint)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        keys.append(endpoint.previous_secret)
    return keys


def signed_headers(
    endpoint: Endpoint, *, message_id: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body` sent to `endpoint` at `now`."""
    signature = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body)
        for secret in signing_secrets(endpoint, now)
    )
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        SIGNATURE_HEADER: signature,
    }
