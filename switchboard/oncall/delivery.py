"""Send one notification: email pages and chat posts are handed to the notify outbox.

The notification row is locked while it is handled and marked in the same transaction, so two
workers never both handle it. An email is queued with `notify.outbox.queue_email`, a chat post
(a raw webhook URL on the contact method or service, not a notify endpoint) with
`notify.outbox.queue_url`, both with source `oncall:notification:<id>` and idempotency key
`oncall:<notification key>`, in that transaction, and the notification is marked sent ("handed
to the outbox"). The outbox sends, retries for its retry window and logs every attempt in the
admin delivery log (chat POSTs are unsigned and carry that key as `Idempotency-Key`, so a
receiver can drop a repeat), and `on_delivery_outcome` marks the notification failed (and logs
`notify_failed`) if the delivery dies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from switchboard.core.errors import ValidationFailed
from switchboard.notify.outbox import queue as outbox
from switchboard.notify.outbox.models import Delivery, DeliveryChannel, DeliveryStatus
from switchboard.oncall.escalation import log
from switchboard.oncall.models import (
    IncidentStatus,
    LogKind,
    Notification,
    NotificationChannel,
    NotificationStatus,
)
from switchboard.oncall.tokens import sign_incident_link

MAX_ATTEMPTS = 6  # of the on-call job (a crash before hand-off); sending is the outbox's
SOURCE_PREFIX = "oncall:notification:"
EMAIL_EVENT = "oncall.page"  # a page (email or direct chat) to a person
CHANNEL_ALERT_EVENT = "oncall.channel_alert"  # a service's chat channel told of a new incident


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


def deliver(*, notification_id: int) -> str:
    """Send the notification unless it was sent, cancelled, or its incident moved on."""
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
        return _queue_chat(notification, payload, now)


def cancel_queued_pages(incident_id: int, *, channel_alerts: bool = False) -> int:
    """Acknowledged or resolved: pages (email or direct chat) of this incident that the outbox
    has not started sending are cancelled (one already being sent goes out; its receiver sees a
    stale page). Channel alerts are not pages and are left alone, unless `channel_alerts` (demo
    data being settled: nothing of it should reach anyone)."""
    handed_off = Notification.objects.filter(
        incident_id=incident_id, status=NotificationStatus.SENT
    )
    if not channel_alerts:
        handed_off = handed_off.exclude(channel=NotificationChannel.CHAT_CHANNEL)
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
    return _hand_off(
        notification,
        now,
        lambda key, source: outbox.queue_email(
            to=notification.address,
            subject=subject,
            text=body,
            event=EMAIL_EVENT,
            idempotency_key=key,
            source=source,
        ),
    )


def _queue_chat(notification: Notification, payload: dict[str, Any], now: datetime) -> str:
    """Hand a chat post (page or channel alert) to the outbox as an unsigned POST to its raw
    webhook URL (caller's transaction, row locked); "sent" or "failed"."""
    return _hand_off(
        notification,
        now,
        lambda key, source: outbox.queue_url(
            url=notification.address,
            channel=DeliveryChannel.CHAT,
            event=(
                CHANNEL_ALERT_EVENT
                if notification.channel == NotificationChannel.CHAT_CHANNEL
                else EMAIL_EVENT
            ),
            payload=payload,
            idempotency_key=key,
            source=source,
        ),
    )


def _hand_off(
    notification: Notification,
    now: datetime,
    queue: Callable[[str, str], Delivery | None],
) -> str:
    incident = notification.incident
    key = outbox_key(notification)
    try:
        delivery = queue(key, f"{SOURCE_PREFIX}{notification.pk}")
    except ValidationFailed as exc:  # e.g. an email address or a URL that is not one
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
        f"{notification.channel} to {notification.address} "
        f"(handed to the outbox, delivery {delivery_id})",
        user=notification.user,
        notification=notification.pk,
        delivery=delivery_id,
    )
    return "sent"


def on_delivery_outcome(delivery: Delivery, status: str) -> None:
    """Outbox listener (in the outbox's transaction): a dead email or chat post marks its
    notification failed and logs `notify_failed`; one redelivered from the admin afterwards marks
    it sent."""
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
            f"{notification.channel} to {notification.address} not delivered: "
            f"{notification.last_error}",
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
            f"{notification.channel} to {notification.address} (redelivered, delivery "
            f"{delivery.pk})",
            user=notification.user,
            notification=notification.pk,
            delivery=delivery.pk,
        )
