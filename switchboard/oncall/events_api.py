"""PagerDuty Events API v2 intake: `POST /v2/enqueue` (trigger, acknowledge, resolve).

Answers as PagerDuty does: 202 `{"status": "success", "message": "Event processed",
"dedup_key": ...}` (a trigger without a dedup key gets a generated one), and 400
`{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}`.
No session and no CSRF: the routing key is the credential. An invalid event writes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from switchboard.core.errors import SwitchboardError
from switchboard.oncall import actions
from switchboard.oncall.models import Service

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_BODY = 512 * 1024


def _invalid(*errors: str) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": "Event object is invalid", "errors": list(errors)},
        status=400,
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate(event: Any) -> list[str]:
    """Every reason `event` is not a valid Events API v2 event (empty: valid)."""
    if not isinstance(event, dict):
        return ["Event must be a JSON object"]
    errors = []
    if not _text(event.get("routing_key")):
        errors.append("'routing_key' is missing or blank")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.append("'dedup_key' must be a string")
    elif isinstance(dedup_key, str) and len(dedup_key) > 255:
        errors.append("'dedup_key' must be at most 255 characters")
    if action in ("acknowledge", "resolve") and not _text(dedup_key):
        errors.append(f"'dedup_key' is required for event_action '{action}'")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or not an object")
        else:
            if not _text(payload.get("summary")):
                errors.append("'payload.summary' is missing or blank")
            elif len(payload["summary"]) > 1024:
                errors.append("'payload.summary' must be at most 1024 characters")
            if not _text(payload.get("source")):
                errors.append("'payload.source' is missing or blank")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' must be one of critical, error, warning, info")
            timestamp = payload.get("timestamp")
            if timestamp is not None:
                try:
                    datetime.fromisoformat(str(timestamp).replace("Z", "+00:00"))
                except ValueError:
                    errors.append("'payload.timestamp' must be an ISO 8601 date-time")
            for name in ("component", "group", "class"):
                if payload.get(name) is not None and not isinstance(payload[name], str):
                    errors.append(f"'payload.{name}' must be a string")
            details = payload.get("custom_details")
            if details is not None and not isinstance(details, dict | list | str | int | float):
                errors.append("'payload.custom_details' must be JSON")
    return errors


@csrf_exempt
@require_POST
def enqueue(request: HttpRequest) -> JsonResponse:
    if len(request.body) > MAX_BODY:
        return _invalid("Event is too large")
    try:
        event = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return _invalid("Body is not valid JSON")
    if errors := validate(event):
        return _invalid(*errors)
    service = Service.objects.filter(
        integration_key=event["routing_key"], scheduling_only=False
    ).first()
    if service is None:
        return _invalid("Invalid routing key: no service has this integration key")
    action = event["event_action"]
    dedup_key = event.get("dedup_key") or None
    try:
        if action == "trigger":
            payload = event["payload"]
            details = payload.get("custom_details")
            incident, _ = actions.trigger_incident(
                service=service,
                summary=payload["summary"],
                dedup_key=dedup_key,
                severity=payload["severity"],
                source=payload["source"],
                component=payload.get("component") or "",
                group=payload.get("group") or "",
                event_class=payload.get("class") or "",
                custom_details=details
                if isinstance(details, dict)
                else {"details": details}
                if details is not None
                else {},
                origin="events_api",
            )
            dedup_key = incident.dedup_key
        else:
            incident = actions.open_incident_for(service, dedup_key)
            if incident is not None:  # like PagerDuty: no open incident, nothing to do, still 202
                if action == "acknowledge":
                    actions.acknowledge_incident(incident=incident)
                else:
                    actions.resolve_incident(incident=incident)
    except SwitchboardError as exc:
        return _invalid(exc.message)
    return JsonResponse(
        {"status": "success", "message": "Event processed", "dedup_key": dedup_key}, status=202
    )
