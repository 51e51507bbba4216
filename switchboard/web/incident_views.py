"""The agent workspace's incident pages: the list (open / triggered / acknowledged / resolved,
by service, newest first, paged), an incident with its log as a timeline, the acknowledge /
resolve / reassign / escalate-now / snooze buttons (POST with CSRF, through `oncall.actions`),
and the form that opens an incident by hand. Agents and admins only: anyone else gets a 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from switchboard.accounts.access import is_agent
from switchboard.accounts.models import User
from switchboard.core.errors import ValidationFailed
from switchboard.oncall import actions, queries
from switchboard.oncall.models import Incident, IncidentStatus, LogKind
from switchboard.oncall.views import viewer_zone
from switchboard.web.auth import agent_page

TABS = [
    ("", "Open"),
    (IncidentStatus.TRIGGERED, "Triggered"),
    (IncidentStatus.ACKNOWLEDGED, "Acknowledged"),
    (IncidentStatus.RESOLVED, "Resolved"),
]
SNOOZE_UNITS = {"minutes": 1, "hours": 60}
# Log kinds drawn as a person's act on the timeline (the rest are the system's steps).
PERSON_KINDS = {
    LogKind.ACKNOWLEDGE,
    LogKind.RESOLVE,
    LogKind.REASSIGN,
    LogKind.ESCALATE_NOW,
    LogKind.SNOOZE,
}


def agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """`agent_page` (sign-in redirect, 4xx for action errors), and a 404 for signed-in people
    who are not agents: these pages do not exist for customers."""
    guarded = agent_page(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not is_agent(request.user):
            raise Http404
        return guarded(request, *args, **kwargs)

    return wrapper


def _int(raw: str | None, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise ValidationFailed(f"{name}: {raw!r} is not a number.", field=name)
    return int(raw)


def _person_name(user: User | None) -> str:
    return (user.name or user.email) if user else "integration"


@require_GET
@agents_only
def incident_list(request: HttpRequest) -> HttpResponse:
    """`GET /oncall/incidents/?status=&service=&page=`.

    Queries: count, page rows, services: three on any page, plus the session's two."""
    status = request.GET.get("status", "")
    if status not in dict(TABS):
        raise ValidationFailed(f"status: {status!r} is not one of {list(dict(TABS))[1:]}")
    service_id = _int(request.GET.get("service"), "service")
    page = _int(request.GET.get("page"), "page") or 1
    rows, total = queries.incident_page(
        request.user, status=status, service_id=service_id, page=page
    )
    zone = viewer_zone(request.user)
    pages = max(1, -(-total // queries.INCIDENTS_PER_PAGE))
    context = {
        "tabs": TABS,
        "status": status,
        "service_id": service_id,
        "services": queries.incident_services(),
        "incidents": [
            {
                "row": incident,
                "created": incident.created_at,
                "by": _person_name(incident.acknowledged_by or incident.resolved_by)
                if incident.acknowledged_by_id or incident.resolved_by_id
                else "",
            }
            for incident in rows
        ],
        "total": total,
        "page": page,
        "pages": pages,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < pages else None,
        "zone": str(zone),
    }
    return render(request, "web/oncall/incidents.html", context)


def _levels(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "number": i + 1,
            "delay": level.get("delay_minutes"),
            "current": i == incident.current_level,
        }
        for i, level in enumerate(incident.policy_snapshot.get("levels", []))
    ]


@require_GET
@agents_only
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """`GET /oncall/incidents/<id>/` — the incident, its log as a timeline, the actions.

    Queries: the incident, its log with people, the agents to reassign to: three, plus the
    session's two."""
    incident = queries.incident_for(request.user, pk)
    zone = viewer_zone(request.user)
    timeline = [
        {
            "entry": entry,
            "at": entry.at,
            "who": (entry.user.name or entry.user.email) if entry.user else "",
            "person": entry.kind in PERSON_KINDS,
            "level": entry.level + 1 if entry.level is not None else None,
        }
        for entry in queries.incident_log(incident)
    ]
    context = {
        "incident": incident,
        "created": incident.created_at,
        "acknowledged": incident.acknowledged_at,
        "resolved": incident.resolved_at,
        "snoozed_until": incident.snoozed_until,
        "next_escalation": incident.next_escalation_at,
        "timeline": timeline,
        "levels": _levels(incident),
        "agents": queries.agents(),
        "is_open": incident.status != IncidentStatus.RESOLVED,
        "zone": str(zone),
    }
    return render(request, "web/oncall/incident.html", context)


def _snooze_duration(request: HttpRequest) -> timedelta:
    amount = _int(request.POST.get("amount"), "amount")
    unit = request.POST.get("unit", "minutes")
    if amount is None or unit not in SNOOZE_UNITS:
        raise ValidationFailed("snooze: give a number of minutes or hours.", field="amount")
    return timedelta(minutes=amount * SNOOZE_UNITS[unit])


def _assignee(request: HttpRequest) -> User:
    raw = _int(request.POST.get("assignee"), "assignee")
    user = User.objects.filter(pk=raw).first() if raw is not None else None
    if user is None or not is_agent(user):
        raise ValidationFailed("reassign: pick an active agent.", field="assignee")
    return user


@require_POST
@agents_only
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """`POST /oncall/incidents/<id>/<action>/` (CSRF): acknowledge, resolve, reassign,
    escalate, snooze — each an `oncall.actions` write that logs who did it."""
    incident = queries.incident_for(request.user, pk)
    user = request.user
    if action == "acknowledge":
        actions.acknowledge_incident(incident=incident, user=user)
        done = "Acknowledged."
    elif action == "resolve":
        actions.resolve_incident(incident=incident, user=user)
        done = "Resolved."
    elif action == "reassign":
        to = _assignee(request)
        actions.reassign_incident(incident=incident, to=to, user=user)
        done = f"Reassigned to {_person_name(to)}."
    elif action == "escalate":
        incident = actions.escalate_incident_now(incident=incident, user=user)
        done = f"Escalated to level {incident.current_level + 1}."
    elif action == "snooze":
        incident = actions.snooze_incident(
            incident=incident, user=user, duration=_snooze_duration(request)
        )
        done = "Snoozed."
    else:
        raise Http404
    messages.success(request, done)
    return redirect("web-incident", pk=pk)


@require_http_methods(["GET", "POST"])
@agents_only
def incident_new(request: HttpRequest) -> HttpResponse:
    """`GET/POST /oncall/incidents/new/` — open an incident by hand (e.g. page the support
    managers): service, title, urgency, details."""
    services = queries.pageable_services()
    form = {"service": "", "title": "", "urgency": "high", "details": ""}
    error = ""
    if request.method == "POST":
        form = {name: request.POST.get(name, "").strip() for name in form}
        service = next((s for s in services if str(s.pk) == form["service"]), None)
        try:
            if service is None:
                raise ValidationFailed("service: pick a service that pages.", field="service")
            incident = actions.open_incident_by_hand(
                service=service,
                title=form["title"],
                urgency=form["urgency"],
                details=form["details"],
                user=request.user,
            )
        except ValidationFailed as exc:
            error = exc.message
        else:
            messages.success(request, f"Incident #{incident.pk} opened on {service.name}.")
            return redirect("web-incident", pk=incident.pk)
    context = {"services": services, "form": form, "error": error}
    return render(request, "web/oncall/incident_new.html", context, status=422 if error else 200)
