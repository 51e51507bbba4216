"""Send one notification: email (Django's mail backend) or a chat webhook POST.

The notification row is locked while it is sent and marked sent in the same transaction, so two
workers never both send it; a crash after sending and before commit can repeat it, which the
`Idempotency-Key` header (the notification's unique key) lets a chat receiver drop.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

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
        try:
            if notification.channel == NotificationChannel.EMAIL:
                send_mail(subject, body, None, [notification.address])
            else:
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
