"""Send one notification: emails are handed to the notify outbox, chat webhooks are POSTed here.

The notification row is locked while it is handled and marked in the same transaction, so two
workers never both handle it. An email page is queued with `notify.outbox.queue_email` (source
`oncall:notification:<id>`, idempotency key `oncall:<notification key>`) in that transaction and
marked sent ("handed to the outbox"); the outbox sends, retries for its retry window and logs
every attempt in the admin delivery log, and `on_delivery_outcome` marks the notification failed
(and logs `notify_failed`) if the delivery dies. Chat webhooks are raw URLs on the contact method
or service (not notify endpoints), so they are POSTed here, retried by the job layer; a crash
after sending and before commit can repeat one, which the `Idempotency-Key` header (the
notification's unique key) lets a chat receiver drop.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from switchboard.core.errors import ValidationFailed
from switchboard.notify import outbox
from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.oncall.escalation import log
from switchboard.oncall.models import (
    IncidentStatus,
    LogKind,
    Notification,
    NotificationChannel,
    NotificationStatus,
)
from switchboard.oncall.tokens import sign_incident_link

MAX_ATTEMPTS = 6
CHAT_TIMEOUT = 10
SOURCE_PREFIX = "oncall:notification:"
EMAIL_EVENT = "oncall.page"


def action_url(notification: Notification, action: str) -> str:
    token = sign_incident_link(
        incident_id=notification.incident_id, user_id=notification.user_id or 0, action=action
    )
    return f"{settings.SWITCHBOARD_BASE_URL}/oncall/incidents/link/{token}"


def _message(notification: Notification) -> tuple[str, str, dict[str, Any]]:
    incident = notification.incident
    subject = f"[{incident.service.name}] #{incident.pk} {incident.summary}"[:250]
    lines = [
        f"Incident #{incident.pk} on {incident.service.name} ({incident.severity})",
        incident.summary,
    ]
    if incident.source:
        lines.append(f"Source: {incident.source}")
    links: dict[str, str] = {}
    if notification.user_id:
        links = {a: action_url(notification, a) for a in ("acknowledge", "resolve")}
        lines += ["", f"Acknowledge: {links['acknowledge']}", f"Resolve: {links['resolve']}"]
    payload = {
        "text": "\n".join(lines),
        "incident": {
            "id": incident.pk,
            "service": incident.service.name,
            "summary": incident.summary,
            "severity": incident.severity,
            "dedup_key": incident.dedup_key,
        },
        "links": links,
        "idempotency_key": notification.idempotency_key,
    }
    return subject, "\n".join(lines) + "\n", payload


def _post_chat(url: str, payload: dict[str, Any], key: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"chat webhook must be an http(s) URL, got {url!r}")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=CHAT_TIMEOUT) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise RuntimeError(f"chat webhook answered {response.status}")


def deliver(*, notification_id: int) -> str:
    """Send the notification unless it was sent, cancelled, or its incident moved on."""
    error: Exception | None = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("incident", "incident__service")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != NotificationStatus.PENDING:
            return "skipped"
        incident = notification.incident
        now = timezone.now()
        paging = notification.channel != NotificationChannel.CHAT_CHANNEL
        if incident.status == IncidentStatus.RESOLVED or (
            paging and incident.status != IncidentStatus.TRIGGERED
        ):
            notification.status = NotificationStatus.CANCELLED
            notification.save(update_fields=["status"])
            return "cancelled"
        subject, body, payload = _message(notification)
        if notification.channel == NotificationChannel.EMAIL:
            return _queue_email(notification, subject, body, now)
        try:
            _post_chat(notification.address, payload, notification.idempotency_key)
        except Exception as exc:
            error = exc
            notification.attempts = F("attempts") + 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            notification.save(update_fields=["attempts", "last_error"])
            notification.refresh_from_db(fields=["attempts"])
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
                notification.save(update_fields=["status"])
            log(
                incident,
                LogKind.NOTIFY_FAILED,
                now,
                notification.last_error,
                user=notification.user,
                notification=notification.pk,
            )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = now
            notification.attempts = F("attempts") + 1
            notification.save(update_fields=["status", "sent_at", "attempts"])
            log(
                incident,
                LogKind.NOTIFIED,
                now,
                f"{notification.channel} to {notification.address}",
                user=notification.user,
                notification=notification.pk,
            )
            return "sent"
    raise error  # committed the attempt; the job layer retries with backoff


def cancel_queued_pages(incident_id: int) -> int:
    """Acknowledged or resolved: email pages of this incident that the outbox has not started
    sending are cancelled (one already being sent goes out; its receiver sees a stale page)."""
    handed_off = Notification.objects.filter(
        incident_id=incident_id, status=NotificationStatus.SENT
    ).exclude(channel=NotificationChannel.CHAT_CHANNEL)
    sources = [f"{SOURCE_PREFIX}{pk}" for pk in handed_off.values_list("pk", flat=True)]
    if not sources:
        return 0
    return Delivery.objects.filter(
        source__in=sources, status=DeliveryStatus.PENDING, attempts=0
    ).update(status=DeliveryStatus.CANCELLED, next_attempt_at=None)


def outbox_key(notification: Notification) -> str:
    return f"oncall:{notification.idempotency_key}"


def _queue_email(notification: Notification, subject: str, body: str, now: datetime) -> str:
    """Hand an email page to the outbox (caller's transaction, row locked); "sent" or "failed"."""
    incident = notification.incident
    key = outbox_key(notification)
    try:
        delivery = outbox.queue_email(
            to=notification.address,
            subject=subject,
            text=body,
            event=EMAIL_EVENT,
            idempotency_key=key,
            source=f"{SOURCE_PREFIX}{notification.pk}",
        )
    except ValidationFailed as exc:  # e.g. a contact method that is not an email address
        notification.status = NotificationStatus.FAILED
        notification.attempts = F("attempts") + 1
        notification.last_error = str(exc)[:2000]
        notification.save(update_fields=["status", "attempts", "last_error"])
        log(
            incident,
            LogKind.NOTIFY_FAILED,
            now,
            notification.last_error,
            user=notification.user,
            notification=notification.pk,
        )
        return "failed"
    if delivery is None:  # already queued under this key (cannot normally happen: same row lock)
        delivery = Delivery.objects.filter(idempotency_key=key).first()
    notification.status = NotificationStatus.SENT
    notification.sent_at = now
    notification.attempts = F("attempts") + 1
    notification.save(update_fields=["status", "sent_at", "attempts"])
    delivery_id = delivery.pk if delivery is not None else None
    log(
        incident,
        LogKind.NOTIFIED,
        now,
        f"email to {notification.address} (handed to the outbox, delivery {delivery_id})",
        user=notification.user,
        notification=notification.pk,
        delivery=delivery_id,
    )
    return "sent"


def on_delivery_outcome(delivery: Delivery, status: str) -> None:
    """Outbox listener (in the outbox's transaction): a dead email page marks its notification
    failed and logs `notify_failed`; one redelivered from the admin afterwards marks it sent."""
    try:
        notification_id = int(delivery.source.removeprefix(SOURCE_PREFIX))
    except ValueError:
        return
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return
    now = timezone.now()
    if status == DeliveryStatus.DEAD and notification.status != NotificationStatus.FAILED:
        notification.status = NotificationStatus.FAILED
        notification.last_error = (delivery.dead_reason or delivery.last_error)[:2000]
        notification.save(update_fields=["status", "last_error"])
        log(
            notification.incident,
            LogKind.NOTIFY_FAILED,
            now,
            f"email to {notification.address} not delivered: {notification.last_error}",
            user=notification.user,
            notification=notification.pk,
            delivery=delivery.pk,
        )
    elif status == DeliveryStatus.DELIVERED and notification.status == NotificationStatus.FAILED:
        notification.status = NotificationStatus.SENT
        notification.sent_at = delivery.delivered_at or now
        notification.save(update_fields=["status", "sent_at"])
        log(
            notification.incident,
            LogKind.NOTIFIED,
            now,
            f"email to {notification.address} (redelivered, delivery {delivery.pk})",
            user=notification.user,
            notification=notification.pk,
            delivery=delivery.pk,
        )
