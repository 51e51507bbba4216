"""HTTP: who is on call (JSON), calendar feeds at secret token URLs, and the signed
acknowledge/resolve links sent in notifications (GET confirms, POST acts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from switchboard.accounts.actions import user_for_token
from switchboard.accounts.models import Role, User
from switchboard.core.tokens import bearer_token
from switchboard.oncall import actions, feeds, queries, rotation
from switchboard.oncall.models import Incident, OnCallSchedule, ScheduleLayer, ScheduleOverride
from switchboard.oncall.tokens import read_incident_link


def _api_user(request: HttpRequest) -> User | None:
    token = bearer_token(request.headers.get("Authorization", ""))
    if token is not None:
        return user_for_token(token)
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
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=ids, is_active=True, role__in=(Role.AGENT, Role.ADMIN))
    }
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
    shifts = queries.whole_shifts(schedule, now - queries.FEED_PAST, now + queries.FEED_FUTURE)
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


# ----------------------------------------------------------------------------- agent page

TIMELINE = timedelta(days=7)
_CURRENT_SPAN = timedelta(days=8)  # how far back/forward "since"/"until" look (as current_shift)


def _load_all_schedules(
    schedules: list[OnCallSchedule], start: datetime, end: datetime
) -> dict[int, rotation.Schedule]:
    """Every schedule as a pure value with the layers/overrides touching [start, end).

    Two queries in total (layers, overrides), whatever the number of schedules or shifts: the
    bulk twin of `queries.load_schedule`: same filters, same `queries.schedule_from_rows`.
    """
    ids = [s.pk for s in schedules]
    layers: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        ScheduleLayer.objects.filter(schedule_id__in=ids, start__lt=end)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .values_list("schedule_id", *queries._LAYER_COLUMNS)
    ):
        layers[row[0]].append(row[1:])
    overrides: dict[int, list[tuple]] = defaultdict(list)
    for schedule_id, *rest in (
        ScheduleOverride.objects.filter(schedule_id__in=ids, start__lt=end, end__gt=start)
        .order_by("created_at", "pk")
        .values_list("schedule_id", "user_id", "start", "end", "created_at")
    ):
        overrides[schedule_id].append(tuple(rest))
    out: dict[int, rotation.Schedule] = {}
    for schedule in schedules:
        out[schedule.pk] = queries.schedule_from_rows(
            schedule, layers[schedule.pk], overrides[schedule.pk]
        )
    return out


def viewer_zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(t: datetime, zone: ZoneInfo) -> str:
    return t.astimezone(zone).strftime("%a %d %b %H:%M")


def _frac(t: datetime, start: datetime) -> float:
    return max(0.0, min(1.0, (t - start) / TIMELINE)) * 100


def _pct(value: float) -> str:
    # Pre-formatted so CSS never sees a localized decimal comma.
    return f"{value:.3f}"


@require_GET
def oncall_page(request: HttpRequest) -> HttpResponse:
    """`GET /oncall/`: who is on call now and the next 7 days per schedule (agents only).

    Queries: schedules, layers, overrides, people — four in total, whatever the number of
    schedules or shifts (plus the session/user lookups of the auth middleware).
    """
    viewer = request.user
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    if getattr(viewer, "role", None) not in (Role.AGENT, Role.ADMIN):
        raise Http404
    zone = viewer_zone(viewer)  # type: ignore[arg-type]
    now = timezone.now()
    window_end = now + TIMELINE
    schedules = list(OnCallSchedule.objects.all())
    values = _load_all_schedules(schedules, now - _CURRENT_SPAN, now + _CURRENT_SPAN)
    computed = []
    for schedule in schedules:
        value = values[schedule.pk]
        current = next(
            (
                s
                for s in rotation.final_shifts(value, now - _CURRENT_SPAN, now + _CURRENT_SPAN)
                if s.start <= now < s.end
            ),
            None,
        )
        computed.append((schedule, current, rotation.final_shifts(value, now, window_end)))
    ids = {int(s.user) for _, cur, shs in computed for s in ([cur] if cur else []) + shs}
    # Only active agents and admins are ever shown on call: a layer that still names a deleted,
    # deactivated or non-agent user (saved before layers were validated) shows "Nobody" there.
    names = {
        str(u.pk): u.name or u.email
        for u in User.objects.filter(pk__in=ids, is_active=True, role__in=(Role.AGENT, Role.ADMIN))
    }

    def shift_row(shift: rotation.Shift) -> dict:
        known = shift.user in names
        return {
            "name": names[shift.user] if known else "Nobody",
            "unknown": None if known else shift.user,
            "override": shift.source == "override",
            "start_at": shift.start,
            "end_at": shift.end,
            "start": local_time(shift.start, zone),
            "end": local_time(shift.end, zone),
            "start_utc": shift.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "end_utc": shift.end.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "left": _pct(_frac(shift.start, now)),
            "width": _pct(_frac(shift.end, now) - _frac(shift.start, now)),
        }

    # Local midnights of the viewer inside the window.
    days = []
    local_day = now.astimezone(zone).date()
    for offset in range(1, 9):
        midnight = datetime.combine(local_day + timedelta(days=offset), dt_time(), zone)
        if midnight.astimezone(UTC) >= window_end:
            break
        days.append({"left": _pct(_frac(midnight, now)), "label": midnight.strftime("%a %d %b")})
    rows = [
        {
            "schedule": schedule,
            "current": shift_row(current) if current else None,
            "shifts": [shift_row(s) for s in shifts],
        }
        for schedule, current, shifts in computed
    ]
    context = {
        "rows": rows,
        "days": days,
        "now": local_time(now, zone),
        "now_at": now,
        "until": local_time(window_end, zone),
        "zone": str(zone),
    }
    return render(request, "oncall/oncall_page.html", context)
