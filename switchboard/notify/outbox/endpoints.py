"""Writes for webhook/chat endpoints and deliveries: create, edit, rotate the secret, send a test
event, redeliver. Admins only (the admin site calls these)."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.notify.outbox import signing
from switchboard.notify.outbox.models import Delivery, DeliveryStatus, Endpoint, EndpointKind
from switchboard.notify.outbox.queue import (
    EVENT_NAMES,
    TEST_EVENT,
    lease_seconds,
    queue_endpoint_unfiltered,
    retry_hours,
)

logger = logging.getLogger("switchboard.notify")


def _require_admin(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only admins manage endpoints and deliveries.")


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials; returns it stripped."""
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("A URL is required.", field="url")
    if len(url) > 500:
        raise ValidationFailed("The URL is longer than 500 characters.", field="url")
    if any(ch.isspace() for ch in url):
        raise ValidationFailed("The URL must not contain spaces.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as exc:
        raise ValidationFailed(f"Not a valid URL: {exc}.", field="url") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed("The URL must start with http:// or https://.", field="url")
    if not parts.hostname:
        raise ValidationFailed("The URL has no host name.", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(
            "Put no user name or password in the URL: it would be stored and logged in clear "
            "(endpoint receivers verify the webhook-signature header instead).",
            field="url",
        )
    if parts.fragment:
        raise ValidationFailed("The URL must not have a #fragment.", field="url")
    if port == 0:
        raise ValidationFailed("The URL's port must not be 0.", field="url")
    host = parts.hostname
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not all(label and len(label) <= 63 for label in host.split(".")):
            raise ValidationFailed(f"Not a valid host name: {host!r}.", field="url") from None
    return url


def validate_events(events: Any) -> list[str]:
    if events is None:
        return []
    if isinstance(events, str) or not isinstance(events, list | tuple | set | frozenset):
        raise ValidationFailed("Events must be a list of event names.", field="events")
    unknown = sorted({str(e) for e in events} - EVENT_NAMES)
    if unknown:
        known = ", ".join(sorted(EVENT_NAMES))
        raise ValidationFailed(
            f"Unknown event(s): {', '.join(unknown)}. Known events: {known}.", field="events"
        )
    return sorted(set(events))


def _validate_fields(name: str, kind: str, url: str, events: Any) -> tuple[str, str, list[str]]:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed("A name is required.", field="name")
    if len(name) > 120:
        raise ValidationFailed("The name is longer than 120 characters.", field="name")
    if kind not in EndpointKind.values:
        raise ValidationFailed(
            f"Kind must be one of: {', '.join(EndpointKind.values)}.", field="kind"
        )
    return name, validate_url(url), validate_events(events)


@transaction.atomic
def create_endpoint(
    *,
    actor: Any,
    name: str,
    kind: str,
    url: str,
    events: list[str] | None = None,
    is_active: bool = True,
) -> Endpoint:
    """A new endpoint with a fresh random signing secret (show `endpoint.secret` to the admin)."""
    _require_admin(actor)
    name, url, event_list = _validate_fields(name, kind, url, events)
    if Endpoint.objects.filter(name__iexact=name).exists():
        raise ValidationFailed(f"An endpoint named {name!r} already exists.", field="name")
    endpoint = Endpoint.objects.create(
        name=name,
        kind=kind,
        url=url,
        events=event_list,
        is_active=is_active,
        secret=signing.new_secret(),
    )
    logger.info("endpoint %s created by %s", endpoint.pk, actor.pk)
    return endpoint


@transaction.atomic
def update_endpoint(
    *,
    actor: Any,
    endpoint: Endpoint,
    name: str,
    kind: str,
    url: str,
    events: list[str] | None,
    is_active: bool,
) -> Endpoint:
    _require_admin(actor)
    name, url, event_list = _validate_fields(name, kind, url, events)
    if Endpoint.objects.filter(name__iexact=name).exclude(pk=endpoint.pk).exists():
        raise ValidationFailed(f"An endpoint named {name!r} already exists.", field="name")
    endpoint.name, endpoint.kind, endpoint.url = name, kind, url
    endpoint.events, endpoint.is_active = event_list, is_active
    endpoint.save(update_fields=["name", "kind", "url", "events", "is_active"])
    return endpoint


@transaction.atomic
def rotate_secret(
    endpoint: Endpoint, *, actor: Any, overlap: timedelta | None = None, now: Any = None
) -> str:
    """A new signing secret, used for every send from now on (pending retries included). The old
    one keeps signing too, as a second signature, for `overlap` (default
    SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS), so receivers can switch without losing a request;
    `overlap` of zero retires it at once (a leaked secret)."""
    _require_admin(actor)
    now = now or timezone.now()
    overlap = signing.rotation_overlap() if overlap is None else overlap
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if overlap > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + overlap
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = signing.new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    logger.info("endpoint %s secret rotated by %s (overlap %s)", endpoint.pk, actor.pk, overlap)
    return endpoint.secret


@transaction.atomic
def send_test_event(endpoint: Endpoint, *, actor: Any) -> Delivery:
    """Queue a "test" event to the endpoint, whatever its event filter (inactive: refused)."""
    _require_admin(actor)
    if not endpoint.is_active:
        raise ValidationFailed(f"{endpoint.name} is inactive: activate it first.")
    now = timezone.now()
    text = f"Switchboard test event for {endpoint.name}, sent by {actor.email}."
    if endpoint.kind == EndpointKind.CHAT:
        payload: dict[str, Any] = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    else:
        payload = {"message": text, "endpoint": endpoint.name, "sent_at": now.isoformat()}
    delivery = queue_endpoint_unfiltered(
        endpoint=endpoint,
        event=TEST_EVENT,
        payload=payload,
        idempotency_key=f"test:{endpoint.pk}:{secrets.token_hex(8)}",
        source=f"admin:{actor.pk}",
    )
    assert delivery is not None  # a fresh random key cannot exist
    return delivery


@transaction.atomic
def redeliver(delivery: Delivery, *, actor: Any) -> Delivery:
    """Send a dead (or delivered) delivery again: new attempts, same row, same idempotency key,
    and a fresh retry window."""
    from switchboard.notify.outbox.tasks import enqueue_attempt

    _require_admin(actor)
    locked = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if locked.status not in (DeliveryStatus.DEAD, DeliveryStatus.DELIVERED):
        raise ValidationFailed(
            f"Delivery {locked.pk} is {locked.get_status_display().lower()}: only dead or "
            "delivered ones can be redelivered."
        )
    if (locked.payload or {}).get("redacted"):
        raise ValidationFailed(
            f"Delivery {locked.pk} carried a one-time link and its body was removed after "
            "sending; ask the person to request a new link instead."
        )
    now = timezone.now()
    locked.status = DeliveryStatus.PENDING
    locked.dead_reason = ""
    locked.delivered_at = None
    locked.retry_until = now + timedelta(hours=retry_hours())
    locked.next_attempt_at = now + timedelta(seconds=lease_seconds())
    locked.save(
        update_fields=["status", "dead_reason", "delivered_at", "retry_until", "next_attempt_at"]
    )
    enqueue_attempt(locked)
    logger.info("delivery %s redelivered by %s", locked.pk, actor.pk)
    return locked
