"""Every on-call write: schedules (layers, overrides, feed tokens) and incidents (trigger,
acknowledge, resolve). Each is one transaction; follow-up work is enqueued inside it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from switchboard.accounts.access import is_agent
from switchboard.accounts.models import Role, User
from switchboard.core.errors import ValidationFailed
from switchboard.core.tokens import hash_token, new_token
from switchboard.oncall import delivery, escalation, rotation
from switchboard.oncall.escalation import log
from switchboard.oncall.models import (
    Incident,
    IncidentStatus,
    LogKind,
    NotificationChannel,
    OnCallSchedule,
    ScheduleLayer,
    ScheduleOverride,
    Service,
    Severity,
    UserCalendarFeed,
)
from switchboard.oncall.queries import layer_from_row

# --------------------------------------------------------------------------------- schedules

AGENT_ROLES = (Role.AGENT, Role.ADMIN)
_LAYER_FIELDS = ("name", "users", "rotation_virtual_start", "turn_length", "restrictions", "end")


def _check_layer(row: ScheduleLayer) -> None:
    try:
        layer_from_row(row)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed(f"layer: {exc}", field="layer") from None
    check_agents(row.users, field="users")


def check_agents(user_ids: list[Any], *, field: str) -> None:
    """Every id names an active agent or admin, or ValidationFailed saying which do not."""
    if bad := [u for u in user_ids if not isinstance(u, int) or isinstance(u, bool)]:
        raise ValidationFailed(f"{field}: not user ids: {bad}", field=field)
    found = {
        pk: is_active and role in AGENT_ROLES
        for pk, role, is_active in User.objects.filter(pk__in=user_ids)
        .values_list("pk", "role", "is_active")
        .order_by()
    }
    if missing := [u for u in user_ids if u not in found]:
        raise ValidationFailed(f"{field}: unknown user ids {missing}", field=field)
    if not_agents := [u for u in user_ids if not found[u]]:
        raise ValidationFailed(
            f"{field}: users {not_agents} are not active agents or admins", field=field
        )


@transaction.atomic
def add_layer(
    *,
    schedule: OnCallSchedule,
    users: list[int],
    rotation_virtual_start: datetime,
    turn_length: timedelta,
    start: datetime | None = None,
    end: datetime | None = None,
    restrictions: list[dict[str, Any]] | None = None,
    position: int | None = None,
    name: str = "",
) -> ScheduleLayer:
    if position is None:
        top = schedule.layers.order_by("-position").values_list("position", flat=True).first()
        position = 0 if top is None else top + 1
    row = ScheduleLayer(
        schedule=schedule,
        position=position,
        name=name,
        users=list(users),
        rotation_virtual_start=rotation_virtual_start,
        turn_length=turn_length,
        restrictions=restrictions or [],
        start=start or rotation_virtual_start,
        end=end,
    )
    _check_layer(row)
    row.save()
    return row


@transaction.atomic
def edit_layer(
    *, layer: ScheduleLayer, now: datetime | None = None, **changes: Any
) -> ScheduleLayer:
    """Change a layer from `now` on: the past keeps the old rotation.

    A layer that has not started yet is changed in place; otherwise the row is ended at `now`
    and a new row with the changes starts at `now` at the same position.
    """
    now = now or timezone.now()
    unknown = set(changes) - set(_LAYER_FIELDS)
    if unknown:
        raise ValidationFailed(f"cannot change {sorted(unknown)} on a layer", field="layer")
    layer = ScheduleLayer.objects.select_for_update().get(pk=layer.pk)
    if layer.end is not None and layer.end <= now:
        raise ValidationFailed("the layer has already ended", field="end")
    if layer.start >= now:
        for name, value in changes.items():
            setattr(layer, name, value)
        _check_layer(layer)
        layer.save()
        return layer
    new = ScheduleLayer(
        schedule_id=layer.schedule_id,
        position=layer.position,
        name=layer.name,
        users=layer.users,
        rotation_virtual_start=layer.rotation_virtual_start,
        turn_length=layer.turn_length,
        restrictions=layer.restrictions,
        start=now,
        end=layer.end,
    )
    for name, value in changes.items():
        setattr(new, name, value)
    _check_layer(new)
    layer.end = now
    layer.save(update_fields=["end"])
    new.save()
    return new


@transaction.atomic
def end_layer(*, layer: ScheduleLayer, now: datetime | None = None) -> ScheduleLayer:
    """Remove a layer from `now` on (the past is kept)."""
    now = now or timezone.now()
    if layer.start >= now:
        layer.delete()
        return layer
    if layer.end is None or layer.end > now:
        layer.end = now
        layer.save(update_fields=["end"])
    return layer


@transaction.atomic
def add_override(
    *,
    schedule: OnCallSchedule,
    user: User,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> ScheduleOverride:
    now = now or timezone.now()
    try:
        rotation.Override(str(user.pk), start, end, now)
    except ValueError as exc:
        raise ValidationFailed(f"override: {exc}", field="end") from None
    return ScheduleOverride.objects.create(
        schedule=schedule, user=user, start=start, end=end, created_at=now
    )


@transaction.atomic
def rotate_schedule_feed_token(*, schedule: OnCallSchedule) -> str:
    """A new secret feed URL token for `schedule` (the old one stops working); shown once."""
    token = new_token()
    schedule.ical_token_hash = hash_token(token)
    schedule.save(update_fields=["ical_token_hash", "updated_at"])
    return token


@transaction.atomic
def rotate_user_feed_token(*, user: User) -> str:
    return UserCalendarFeed.rotate(user=user)


# --------------------------------------------------------------------------------- incidents


def _open(service: Service, dedup_key: str) -> Incident | None:
    return (
        Incident.objects.select_for_update()
        .filter(service=service, dedup_key=dedup_key)
        .exclude(status=IncidentStatus.RESOLVED)
        .first()
    )


@transaction.atomic
def trigger_incident(
    *,
    service: Service,
    summary: str,
    dedup_key: str | None = None,
    severity: str = Severity.CRITICAL,
    source: str = "",
    component: str = "",
    group: str = "",
    event_class: str = "",
    custom_details: dict[str, Any] | None = None,
    origin: str = "api",
    ticket_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Incident, bool]:
    """Open an incident and page level 0, or return the open one with the same dedup key.

    Returns (incident, created).
    """
    now = now or timezone.now()
    if service.scheduling_only:
        raise ValidationFailed(f"service {service.name!r} is scheduling-only", field="service")
    if service.escalation_policy_id is None:
        raise ValidationFailed(
            f"service {service.name!r} has no escalation policy", field="service"
        )
    if not summary.strip():
        raise ValidationFailed("summary: an incident needs a summary", field="summary")
    if severity not in Severity.values:
        raise ValidationFailed(f"severity: must be one of {Severity.values}", field="severity")
    dedup_key = (dedup_key or uuid.uuid4().hex)[:255]
    existing = _open(service, dedup_key)
    if existing is None:
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    service=service,
                    summary=summary[:1024],
                    dedup_key=dedup_key,
                    severity=severity,
                    source=source[:255],
                    component=component[:255],
                    group=group[:255],
                    event_class=event_class[:255],
                    custom_details=custom_details or {},
                    origin=origin,
                    ticket_id=ticket_id,
                    policy_snapshot=escalation.snapshot_policy(service.escalation_policy, service),
                    created_at=now,
                )
        except IntegrityError:  # a concurrent trigger with the same key won the race
            existing = _open(service, dedup_key)
            if existing is None:
                raise
    if existing is not None:
        log(existing, LogKind.DEDUPLICATED, now, summary, source=source)
        return existing, False
    log(incident, LogKind.TRIGGER, now, summary, origin=origin, source=source)
    if service.chat_alert and service.chat_webhook_url:
        escalation.queue_notification(
            incident,
            channel=NotificationChannel.CHAT_CHANNEL,
            address=service.chat_webhook_url,
            key=f"{incident.pk}:channel-alert",
            now=now,
        )
        log(incident, LogKind.CHAT_ALERT, now, service.chat_webhook_url)
    escalation.start_escalation(incident, now)
    incident.save()
    return incident, True


def _locked(incident: Incident | int) -> Incident:
    pk = incident if isinstance(incident, int) else incident.pk
    return Incident.objects.select_for_update().select_related("service").get(pk=pk)


def _mark_acknowledged(incident: Incident, user: User | None, now: datetime) -> int:
    """Acknowledged by `user`: escalation stops and pending pages are cancelled (how many)."""
    incident.status = IncidentStatus.ACKNOWLEDGED
    incident.acknowledged_at = now
    incident.acknowledged_by = user
    incident.next_escalation_at = None
    return escalation.cancel_pending(incident) + delivery.cancel_queued_pages(incident.pk)


@transaction.atomic
def acknowledge_incident(
    *,
    incident: Incident | int,
    user: User | None = None,
    now: datetime | None = None,
    reason: str = "",
) -> Incident:
    """Stop escalating. With an acknowledgement timeout, re-trigger when it runs out.

    Acknowledging an acknowledged or resolved incident changes nothing. `reason` says in the
    incident's log why it was acknowledged when no person clicked (e.g. the ticket got a reply).
    """
    now = now or timezone.now()
    incident = _locked(incident)
    if incident.status != IncidentStatus.TRIGGERED:
        return incident
    cancelled = _mark_acknowledged(incident, user, now)
    minutes = incident.policy_snapshot.get("ack_timeout_minutes")
    incident.ack_timeout_at = now + timedelta(minutes=minutes) if minutes else None
    message = f"by {user.email if user else 'integration'}"
    log(
        incident,
        LogKind.ACKNOWLEDGE,
        now,
        f"{message}: {reason}" if reason else message,
        user=user,
        cancelled=cancelled,
    )
    incident.save()
    return incident


@transaction.atomic
def resolve_incident(
    *, incident: Incident | int, user: User | None = None, now: datetime | None = None
) -> Incident:
    """Close the incident and cancel every pending step and notification."""
    now = now or timezone.now()
    incident = _locked(incident)
    if incident.status == IncidentStatus.RESOLVED:
        return incident
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = now
    incident.resolved_by = user
    incident.next_escalation_at = None
    incident.ack_timeout_at = None
    incident.snoozed_until = None
    cancelled = escalation.cancel_pending(incident) + delivery.cancel_queued_pages(incident.pk)
    log(
        incident,
        LogKind.RESOLVE,
        now,
        f"by {user.email if user else 'integration'}",
        user=user,
        cancelled=cancelled,
    )
    incident.save()
    return incident


URGENCIES = {"high": Severity.CRITICAL, "low": Severity.WARNING}
MAX_SNOOZE = timedelta(days=7)


@transaction.atomic
def open_incident_by_hand(
    *,
    service: Service,
    title: str,
    user: User,
    urgency: str = "high",
    details: str = "",
    via: str = "web",
    now: datetime | None = None,
) -> Incident:
    """A person opens an incident (the workspace form, the `/pd-support-manager` chat command):
    always a new one (its own dedup key), paged through the service's policy like any other.
    Urgency is PagerDuty's: high pages as critical, low as a warning."""
    if not is_agent(user):
        raise ValidationFailed("only agents can open incidents", field="user")
    if urgency not in URGENCIES:
        raise ValidationFailed(f"urgency: must be one of {sorted(URGENCIES)}", field="urgency")
    if len(title) > 1024:
        raise ValidationFailed("title: at most 1024 characters", field="title")
    incident, _ = trigger_incident(
        service=service,
        summary=title.strip(),
        severity=URGENCIES[urgency],
        source=f"{via}: {user.email}",
        custom_details={"details": details[:10_000], "urgency": urgency, "opened_by": user.email}
        if details
        else {"urgency": urgency, "opened_by": user.email},
        origin=via,
        now=now,
    )
    return incident


def _open_for_person(incident: Incident | int, what: str) -> Incident:
    incident = _locked(incident)
    if incident.status == IncidentStatus.RESOLVED:
        raise ValidationFailed(f"a resolved incident cannot be {what}", field="status")
    return incident


def _back_to_triggered(incident: Incident) -> int:
    """Triggered again, acknowledgement and snooze cleared, pending pages cancelled."""
    incident.status = IncidentStatus.TRIGGERED
    incident.acknowledged_at = None
    incident.acknowledged_by = None
    incident.ack_timeout_at = None
    incident.snoozed_until = None
    incident.exhausted_at = None
    return escalation.cancel_pending(incident) + delivery.cancel_queued_pages(incident.pk)


@transaction.atomic
def reassign_incident(
    *, incident: Incident | int, to: User, user: User, now: datetime | None = None
) -> Incident:
    """PagerDuty's reassign: page `to` now; the incident is triggered again (an acknowledged one
    too) and, unless someone acknowledges, escalates from the current level after its delay."""
    now = now or timezone.now()
    if not is_agent(to):
        raise ValidationFailed(f"{to.email} is not an active agent", field="assignee")
    incident = _open_for_person(incident, "reassigned")
    cancelled = _back_to_triggered(incident)
    incident.escalation_step += 1
    log(
        incident,
        LogKind.REASSIGN,
        now,
        f"to {to.email} by {user.email}",
        user=user,
        assignee=to.pk,
        cancelled=cancelled,
    )
    escalation.page_user(incident, to, now)
    levels = incident.policy_snapshot.get("levels", [])
    level = levels[incident.current_level] if incident.current_level < len(levels) else None
    incident.next_escalation_at = now + timedelta(minutes=level["delay_minutes"]) if level else None
    incident.save()
    return incident


@transaction.atomic
def escalate_incident_now(
    *, incident: Incident | int, user: User, now: datetime | None = None
) -> Incident:
    """Page the next level of the frozen policy now (after the last level: the first again),
    without waiting for the current level's delay; the incident is triggered again."""
    now = now or timezone.now()
    incident = _open_for_person(incident, "escalated")
    levels = incident.policy_snapshot.get("levels", [])
    if not levels:
        raise ValidationFailed("the escalation policy has no levels", field="policy")
    cancelled = _back_to_triggered(incident)
    incident.current_level = (incident.current_level + 1) % len(levels)
    if incident.current_level == 0:
        incident.current_loop = min(
            incident.current_loop + 1, incident.policy_snapshot.get("num_loops", 0)
        )
    incident.current_loop = min(incident.current_loop, incident.policy_snapshot.get("num_loops", 0))
    log(
        incident,
        LogKind.ESCALATE_NOW,
        now,
        f"to level {incident.current_level + 1} by {user.email}",
        user=user,
        level=incident.current_level,
        loop=incident.current_loop,
        cancelled=cancelled,
    )
    escalation.notify_current_level(incident, now)
    incident.save()
    return incident


@transaction.atomic
def snooze_incident(
    *, incident: Incident | int, user: User, duration: timedelta, now: datetime | None = None
) -> Incident:
    """Quiet an incident for `duration`: acknowledged (by `user`, when it was triggered) until
    then, and re-triggered from the first level when the snooze ends (the ack-timeout sweep)."""
    now = now or timezone.now()
    if not timedelta(minutes=1) <= duration <= MAX_SNOOZE:
        raise ValidationFailed("snooze: from 1 minute to 7 days", field="duration")
    incident = _open_for_person(incident, "snoozed")
    cancelled = 0
    if incident.status == IncidentStatus.TRIGGERED:
        cancelled = _mark_acknowledged(incident, user, now)
    incident.snoozed_until = incident.ack_timeout_at = now + duration
    log(
        incident,
        LogKind.SNOOZE,
        now,
        f"by {user.email} for {_span(duration)}",
        user=user,
        until=incident.snoozed_until.isoformat(),
        cancelled=cancelled,
    )
    incident.save()
    return incident


def _span(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def open_incident_for(service: Service, dedup_key: str) -> Incident | None:
    return (
        Incident.objects.filter(service=service, dedup_key=dedup_key)
        .exclude(status=IncidentStatus.RESOLVED)
        .first()
    )


def service_for_address(address: str) -> Service | None:
    """The service whose integration email address is `address` (case-insensitive)."""
    return Service.objects.filter(
        email_address__iexact=address.strip(), scheduling_only=False
    ).first()


@transaction.atomic
def trigger_from_email(
    *, recipient: str, subject: str, body: str = "", sender: str = "", now: datetime | None = None
) -> tuple[Incident, bool] | None:
    """Email to a service's address opens an incident (None: no service has that address).

    The notify app's email intake calls this for mail addressed to an on-call service; one open
    incident per subject, as PagerDuty's "open a new incident for each new email subject" rule.
    """
    service = service_for_address(recipient)
    if service is None:
        return None
    subject = subject.strip() or "(no subject)"
    return trigger_incident(
        service=service,
        summary=subject,
        dedup_key="email-" + uuid.uuid5(uuid.NAMESPACE_URL, subject.lower()).hex,
        source=sender,
        custom_details={"body": body[:10_000], "from": sender},
        origin="email",
        now=now,
    )
