"""Webhook signatures: `X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of the body>`.

Each endpoint's secret is derived from SECRET_KEY and the endpoint's random `secret_salt`, so it
is never stored and a copy of the database alone does not reveal it; rotating = a new salt.
A receiver verifies with the secret shown to the admin (see `verify`, and docs/notifications.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

from switchboard.notify.models import Endpoint

SIGNATURE_HEADER = "X-Switchboard-Signature"
SECRET_PREFIX = "whsec_"


def new_salt() -> str:
    return secrets.token_hex(32)


def endpoint_secret(endpoint: Endpoint) -> str:
    """The shared secret the receiver of `endpoint` verifies signatures with."""
    if not endpoint.secret_salt:
        raise ValueError(f"endpoint {endpoint.pk} has no secret salt")
    derived = hmac.new(
        settings.SECRET_KEY.encode(),
        f"switchboard.notify.endpoint:{endpoint.secret_salt}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return f"{SECRET_PREFIX}{derived}"


def signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign(endpoint: Endpoint, body: bytes) -> str:
    """The X-Switchboard-Signature header value for `body` sent to `endpoint`."""
    return signature(endpoint_secret(endpoint), body)


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is the signature of exactly these body bytes under `secret`."""
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(signature(secret, body), header.strip())
