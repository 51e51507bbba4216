"""HTTP: who is on call (JSON), calendar feeds at secret token URLs, and the signed
acknowledge/resolve links sent in notifications (GET confirms, POST acts)."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from switchboard.accounts.actions import user_for_token
from switchboard.accounts.models import Role, User
from switchboard.oncall import actions, feeds, queries
from switchboard.oncall.models import Incident, OnCallSchedule
from switchboard.oncall.tokens import read_incident_link


def _api_user(request: HttpRequest) -> User | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return user_for_token(header[7:].strip())
    user = request.user if hasattr(request, "user") else None
    return user if user is not None and user.is_authenticated else None  # type: ignore[return-value]


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _person(user_id: int | None, users: dict[int, User]) -> dict | None:
    if user_id is None or user_id not in users:
        return None
    user = users[user_id]
    return {"id": user.pk, "name": user.name, "email": user.email}


@require_GET
def oncall_api(request: HttpRequest) -> JsonResponse:
    """`GET /api/oncall?at=ISO&schedule=id`: who is on call on each schedule (agents only)."""
    user = _api_user(request)
    if user is None:
        return _error(401, "Authentication required (session or Bearer API token).")
    if user.role not in (Role.AGENT, Role.ADMIN):
        return _error(403, "Agents only.")
    at = timezone.now()
    if raw := request.GET.get("at"):
        try:
            at = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            return _error(400, "at: use an ISO 8601 date-time with an offset.")
        if at.tzinfo is None:
            return _error(400, "at: the date-time needs a UTC offset.")
    schedules = OnCallSchedule.objects.all()
    if raw_id := request.GET.get("schedule"):
        if not raw_id.isdigit():
            return _error(400, "schedule: must be a schedule id.")
        schedules = schedules.filter(pk=int(raw_id))
        if not schedules.exists():
            return _error(404, "No such schedule.")
    rows = []
    for schedule in schedules:
        shift = queries.current_shift(schedule, at)
        rows.append((schedule, shift))
    ids = {int(s.user) for _, s in rows if s is not None}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    return JsonResponse(
        {
            "at": at.isoformat(),
            "oncalls": [
                {
                    "schedule": {"id": sc.pk, "name": sc.name, "time_zone": sc.time_zone},
                    "user": _person(int(sh.user), users) if sh else None,
                    "start": sh.start.isoformat() if sh else None,
                    "end": sh.end.isoformat() if sh else None,
                }
                for sc, sh in rows
            ],
        }
    )


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def schedule_feed(request: HttpRequest, token: str) -> HttpResponse:
    schedule = queries.schedule_for_feed_token(token)
    if schedule is None:
        raise Http404
    now = timezone.now()
    shifts = queries.shifts(schedule, now - queries.FEED_PAST, now + queries.FEED_FUTURE)
    ids = {int(s.user) for s in shifts}
    names = {str(u.pk): u.name or u.email for u in User.objects.filter(pk__in=ids)}
    body = feeds.render(schedule.name, ((schedule, s) for s in shifts), names, now)
    return _ics(body, f"oncall-schedule-{schedule.pk}.ics")


@require_GET
def user_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = queries.user_for_feed_token(token)
    if user is None:
        raise Http404
    now = timezone.now()
    items = queries.user_shifts(user, now - queries.FEED_PAST, now + queries.FEED_FUTURE)
    names = {str(user.pk): user.name or user.email}
    body = feeds.render(f"On call: {names[str(user.pk)]}", items, names, now)
    return _ics(body, f"oncall-user-{user.pk}.ics")


@require_http_methods(["GET", "POST"])
def incident_link(request: HttpRequest, token: str) -> HttpResponse:
    """A notification's link: GET shows what it will do; POST (with CSRF) does it."""
    data = read_incident_link(token)
    user = User.objects.filter(pk=data["u"], is_active=True).first() if data else None
    incident = (
        Incident.objects.select_related("service").filter(pk=data["i"]).first() if data else None
    )
    if data is None or user is None or incident is None:
        return render(request, "oncall/link_invalid.html", status=400)
    action = data["a"]
    done = False
    if request.method == "POST":
        if action == "acknowledge":
            incident = actions.acknowledge_incident(incident=incident, user=user)
        else:
            incident = actions.resolve_incident(incident=incident, user=user)
        done = True
    context = {"incident": incident, "action": action, "person": user, "done": done}
    return render(request, "oncall/link_confirm.html", context)
