"""Escalation steps on a locked incident row: notify a level, move to the next, loop, exhaust.

Every step runs with the incident row locked (by the caller's `select_for_update`, or by the
sweep's `FOR UPDATE SKIP LOCKED` claim), re-checks the status and the stored due time, acts,
stores the next due time and bumps `escalation_step`; notifications are keyed by that step, so
a step that runs twice cannot page anyone twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from switchboard.accounts.models import User
from switchboard.core.jobs import enqueue
from switchboard.core.sweeps import register_sweep
from switchboard.oncall import queries
from switchboard.oncall.models import (
    ContactChannel,
    ContactMethod,
    EscalationPolicy,
    Incident,
    IncidentLogEntry,
    IncidentStatus,
    LogKind,
    Notification,
    NotificationChannel,
    NotificationStatus,
    OnCallSchedule,
    Service,
)


def snapshot_policy(policy: EscalationPolicy, service: Service) -> dict[str, Any]:
    """The policy frozen as plain data: later edits to it never change a running incident."""
    levels = []
    for level in policy.levels.order_by("position").prefetch_related("users", "schedules"):
        levels.append(
            {
                "delay_minutes": level.delay_minutes,
                "users": [u.pk for u in sorted(level.users.all(), key=lambda u: u.email)],
                "schedules": [s.pk for s in sorted(level.schedules.all(), key=lambda s: s.name)],
            }
        )
    return {
        "policy_id": policy.pk,
        "name": policy.name,
        "num_loops": policy.num_loops,
        "ack_timeout_minutes": service.ack_timeout_minutes,
        "levels": levels,
    }


def log(incident: Incident, kind: str, now: datetime, message: str = "", **extra: Any) -> None:
    IncidentLogEntry.objects.create(
        incident=incident,
        at=now,
        kind=kind,
        message=message[:1000],
        user=extra.pop("user", None),
        level=extra.pop("level", None),
        loop=extra.pop("loop", None),
        data=extra,
    )


def level_targets(level: dict[str, Any], now: datetime) -> list[User]:
    """Named users first, then whoever is on call on each schedule now; active, no repeats."""
    ids: list[int] = list(level.get("users", []))
    for schedule in OnCallSchedule.objects.filter(pk__in=level.get("schedules", [])).order_by(
        "name"
    ):
        user_id = queries.on_call_user_id(schedule, now)
        if user_id is not None:
            ids.append(user_id)
    unique = list(dict.fromkeys(ids))
    users = {u.pk: u for u in User.objects.filter(pk__in=unique, is_active=True)}
    return [users[i] for i in unique if i in users]


def _addresses(user: User) -> list[tuple[str, str]]:
    methods = [(m.channel, m.address) for m in ContactMethod.objects.filter(user=user)]
    return methods or [(ContactChannel.EMAIL, user.email)]


def _key(*parts: object) -> str:
    return ":".join(str(p) for p in parts)


def queue_notification(
    incident: Incident,
    *,
    channel: str,
    address: str,
    key: str,
    now: datetime,
    user: User | None = None,
) -> Notification:
    from switchboard.oncall.tasks import deliver_notification

    notification = Notification.objects.create(
        incident=incident,
        user=user,
        channel=channel,
        address=address,
        idempotency_key=key,
        level=incident.current_level if user else None,
        loop=incident.current_loop if user else None,
        created_at=now,
    )
    enqueue(deliver_notification, notification.pk)
    return notification


def page_user(incident: Incident, user: User, now: datetime) -> None:
    for channel, address in _addresses(user):
        digest = hashlib.sha256(address.encode()).hexdigest()[:12]
        key = _key(incident.pk, incident.escalation_step, user.pk, channel, digest)
        queue_notification(incident, channel=channel, address=address, key=key, now=now, user=user)
        log(
            incident,
            LogKind.NOTIFY,
            now,
            f"{channel} to {user.email}",
            user=user,
            level=incident.current_level,
            loop=incident.current_loop,
            channel=channel,
        )


def _advance(incident: Incident, now: datetime) -> None:
    incident.current_level += 1
    if incident.current_level >= len(incident.policy_snapshot.get("levels", [])):
        incident.current_level = 0
        incident.current_loop += 1
        if incident.current_loop <= incident.policy_snapshot.get("num_loops", 0):
            log(
                incident,
                LogKind.LOOP,
                now,
                f"repeat {incident.current_loop}",
                loop=incident.current_loop,
            )


def notify_current_level(
    incident: Incident, now: datetime, *, late_seconds: float | None = None
) -> None:
    """Page the current level (skipping empty ones) and set the next due time, or exhaust.

    The caller holds the row lock and saves the incident afterwards.
    """
    snapshot = incident.policy_snapshot
    levels = snapshot.get("levels", [])
    incident.escalation_step += 1
    while True:
        if not levels or incident.current_loop > snapshot.get("num_loops", 0):
            incident.next_escalation_at = None
            incident.exhausted_at = now
            log(
                incident,
                LogKind.EXHAUSTED,
                now,
                "nobody acknowledged; escalation exhausted",
                late_seconds=late_seconds,
            )
            return
        level = levels[incident.current_level]
        users = level_targets(level, now)
        if users:
            break
        log(
            incident,
            LogKind.SKIP,
            now,
            "nobody to notify on this level",
            level=incident.current_level,
            loop=incident.current_loop,
        )
        _advance(incident, now)
    log(
        incident,
        LogKind.ESCALATE,
        now,
        "notifying " + ", ".join(u.email for u in users),
        level=incident.current_level,
        loop=incident.current_loop,
        users=[u.pk for u in users],
        step=incident.escalation_step,
        late_seconds=late_seconds,
    )
    for user in users:
        page_user(incident, user, now)
    incident.next_escalation_at = now + timedelta(minutes=level["delay_minutes"])


def start_escalation(incident: Incident, now: datetime) -> None:
    """From level 0, loop 0 (on trigger and when an acknowledgement times out)."""
    incident.current_level = 0
    incident.current_loop = 0
    incident.exhausted_at = None
    notify_current_level(incident, now)


def cancel_pending(incident: Incident) -> int:
    return (
        Notification.objects.filter(incident=incident, status=NotificationStatus.PENDING)
        .exclude(channel=NotificationChannel.CHAT_CHANNEL)
        .update(status=NotificationStatus.CANCELLED)
    )


_ESCALATION_FIELDS = [
    "status",
    "escalation_step",
    "current_level",
    "current_loop",
    "next_escalation_at",
    "ack_timeout_at",
    "snoozed_until",
    "exhausted_at",
]


def escalate_due(incident: Incident, now: datetime) -> None:
    """Sweep handler (row locked): the current level had its time; page the next one."""
    if incident.status != IncidentStatus.TRIGGERED:
        incident.next_escalation_at = None
    elif incident.next_escalation_at is not None and incident.next_escalation_at <= now:
        # Wall-clock lateness of this step (operations and bench/bench_oncall_pg.py read it).
        late = (timezone.now() - incident.next_escalation_at).total_seconds()
        _advance(incident, now)
        notify_current_level(incident, now, late_seconds=round(late, 3))
    incident.save(update_fields=_ESCALATION_FIELDS)


def ack_timed_out(incident: Incident, now: datetime) -> None:
    """Sweep handler (row locked): an acknowledgement expired; back to triggered, from level 0."""
    if incident.status == IncidentStatus.ACKNOWLEDGED and incident.ack_timeout_at is not None:
        if incident.ack_timeout_at <= now:
            incident.status = IncidentStatus.TRIGGERED
            incident.ack_timeout_at = None
            snoozed, incident.snoozed_until = incident.snoozed_until, None
            reason = "snooze ended" if snoozed else "acknowledgement timed out"
            log(incident, LogKind.ACK_TIMEOUT, now, f"{reason}; re-triggered")
            start_escalation(incident, now)
    else:
        incident.ack_timeout_at = None
        incident.snoozed_until = None
    incident.save(update_fields=_ESCALATION_FIELDS)


def register_sweeps() -> None:
    register_sweep(
        "oncall.escalation", model=Incident, due_field="next_escalation_at", handler=escalate_due
    )
    register_sweep(
        "oncall.ack_timeout", model=Incident, due_field="ack_timeout_at", handler=ack_timed_out
    )
