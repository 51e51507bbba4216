"""The public booking pages (no login): book with a single-use link, reschedule or cancel with
the signed link from the invitation email; and their JSON twins for programs.

The token in the URL is the only credential. Answers never reveal more than the link holder may
know: the event type, the agent's name, the ticket's number and subject, free times.
"""

from __future__ import annotations

import json
import zoneinfo
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from switchboard.calls import actions, availability, queries
from switchboard.calls.models import BookingLink, Call, CallStatus, EventType
from switchboard.core.errors import NotFound, SwitchboardError, ValidationFailed

MAX_RANGE = timedelta(days=31)
PAGE_DAYS = 7
ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))


def _zone(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return "UTC"
    if value not in zoneinfo.available_timezones():
        raise ValidationFailed(f"tz: {value!r} is not a known time zone.", field="tz")
    return value


def _parse_when(value: str | None, zone: str, name: str) -> datetime | None:
    """An ISO date (midnight in `zone`) or an ISO datetime with an offset."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), ZoneInfo(zone))
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name}: expected a date (2026-11-01) or a time with an offset.", field=name
        ) from None
    if parsed.tzinfo is None:
        raise ValidationFailed(f"{name}: give the time's offset (Z or +10:00).", field=name)
    return parsed


def _json_error(exc: SwitchboardError) -> JsonResponse:
    return JsonResponse(
        {"error": exc.code, "description": exc.message, "field": exc.field},
        status=exc.status_code,
    )


def _slots(link: BookingLink, start: datetime, end: datetime, now: datetime) -> list[datetime]:
    found: set[datetime] = set()
    for agent in actions.candidates(link):
        found.update(availability.slots_for(agent, link.event_type, start=start, end=end, now=now))
    return sorted(found)


def _link_or_404(token: str) -> BookingLink:
    link = queries.link_for_token(token)
    if link is None:
        raise NotFound("This booking link is not valid.")
    return link


def _range(request: HttpRequest, zone: str, now: datetime) -> tuple[datetime, datetime]:
    start = _parse_when(request.GET.get("start"), zone, "start") or now
    if not now - timedelta(days=1) <= start <= now + actions.MAX_AHEAD:
        raise ValidationFailed("start: not within the next five years.", field="start")
    end = _parse_when(request.GET.get("end"), zone, "end") or start + timedelta(days=PAGE_DAYS)
    if end <= start:
        raise ValidationFailed("end: must be after start.", field="end")
    if end - start > MAX_RANGE:
        raise ValidationFailed("end: at most 31 days after start.", field="end")
    return start, end


@require_GET
def slots_json(request: HttpRequest, token: str) -> HttpResponse:
    """GET /book/<token>/slots?start=&end=&tz= → the free starts, in UTC and in `tz`."""
    now = timezone.now()
    try:
        link = _link_or_404(token)
        zone = _zone(request.GET.get("tz"))
        start, end = _range(request, zone, now)
        problem = actions.link_problem(link, now)
        if problem:
            raise actions.Conflict(problem, code="LinkUnavailable")
    except SwitchboardError as exc:
        return _json_error(exc)
    tz = ZoneInfo(zone)
    found = _slots(link, start, end, now)
    return JsonResponse(
        {
            "event_type": _event_type(link.event_type),
            "time_zone": zone,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "slots": [
                {"start": s.astimezone(UTC).isoformat(), "local": s.astimezone(tz).isoformat()}
                for s in found
            ],
        }
    )


def _event_type(event_type: EventType) -> dict[str, Any]:
    return {
        "slug": event_type.slug,
        "title": event_type.title,
        "duration_minutes": event_type.duration_minutes,
        "questions": event_type.questions,
    }


def call_json(call: Call) -> dict[str, Any]:
    """What the invitee (and the API) sees of a call."""
    return {
        "id": call.pk,
        "uid": call.uid,
        "status": call.status,
        "sequence": call.sequence,
        "event_type": call.event_type.slug,
        "start": call.start.isoformat(),
        "end": call.end.isoformat(),
        "time_zone": call.invitee_time_zone,
        "agent": {"name": call.agent.name or call.agent.email},
        "ticket_id": call.ticket_id,
        "meeting_url": call.meeting_url,
    }


def _form_answers(link: BookingLink, data: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in link.event_type.questions or []:
        key = question["key"]
        if question.get("kind") in ("boolean", "confirm"):
            value = data.get(f"q_{key}")
            if value is not None:
                answers[key] = value
        else:
            answers[key] = data.get(f"q_{key}", "")
    return answers


def _page(
    request: HttpRequest,
    link: BookingLink,
    *,
    status: int = 200,
    error: str = "",
    values: dict[str, Any] | None = None,
) -> HttpResponse:
    now = timezone.now()
    problem = actions.link_problem(link, now)
    try:
        zone = _zone(request.GET.get("tz") or (values or {}).get("tz"))
    except ValidationFailed as exc:
        zone, error = "UTC", exc.message
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    try:
        first_day = date.fromisoformat(request.GET.get("from") or today.isoformat())
    except ValueError:
        first_day = today
    first_day = min(max(first_day, today), today + timedelta(days=366))
    start = datetime.combine(first_day, time(0), tz)
    end = datetime.combine(first_day + timedelta(days=PAGE_DAYS), time(0), tz)
    days: OrderedDict[date, list[dict[str, str]]] = OrderedDict()
    if not problem:
        for slot in _slots(link, start, end, now):
            local = slot.astimezone(tz)
            days.setdefault(local.date(), []).append(
                {"value": slot.astimezone(UTC).isoformat(), "label": f"{local:%H:%M}"}
            )
    requester = link.ticket.requester
    values = values or {
        "name": requester.name,
        "email": requester.email,
    }
    host = link.agent.name if link.agent is not None else (link.group.name if link.group else "")
    return render(
        request,
        "web/booking/book.html",
        {
            "link": link,
            "token_path": request.path.rstrip("/"),
            "problem": problem,
            "error": error,
            "zone": zone,
            "zones": ZONES,
            "days": [(d, slots) for d, slots in days.items()],
            "previous_from": (first_day - timedelta(days=PAGE_DAYS)).isoformat()
            if first_day > today
            else "",
            "next_from": (first_day + timedelta(days=PAGE_DAYS)).isoformat(),
            "first_day": first_day,
            "host": host,
            "values": values,
            "questions": link.event_type.questions or [],
        },
        status=status if not problem else 410,
    )


@csrf_exempt  # the unguessable token in the URL is the credential; there is no session
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the booking page. POST: book (form → page; JSON → 201 / 409 / 422 JSON)."""
    wants_json = (request.content_type or "").startswith("application/json")
    try:
        link = _link_or_404(token)
    except NotFound as exc:
        if wants_json:
            return _json_error(exc)
        return render(request, "web/booking/gone.html", {"message": exc.message}, status=404)
    if request.method == "GET":
        return _page(request, link)
    if wants_json:
        try:
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError("expected an object")
        except ValueError as exc:
            return JsonResponse(
                {"error": "InvalidJSON", "description": f"The body is not a JSON object: {exc}"},
                status=400,
            )
        try:
            start = _parse_when(str(data.get("start") or ""), "UTC", "start")
            call = actions.book_call(
                token=token,
                start=start,
                name=data.get("name"),
                email=data.get("email"),
                time_zone=data.get("tz") or data.get("time_zone") or "UTC",
                answers=data.get("answers"),
            )
        except SwitchboardError as exc:
            return _json_error(exc)
        return JsonResponse({"call": call_json(call)}, status=201)
    values = {k: request.POST.get(k, "") for k in ("name", "email", "tz", "start")}
    try:
        start = _parse_when(request.POST.get("start"), "UTC", "start")
        if start is None:
            raise ValidationFailed("start: choose a time.", field="start")
        call = actions.book_call(
            token=token,
            start=start,
            name=values["name"],
            email=values["email"],
            time_zone=values["tz"] or "UTC",
            answers=_form_answers(link, request.POST),
        )
    except SwitchboardError as exc:
        link.refresh_from_db()
        return _page(request, link, status=exc.status_code, error=exc.message, values=values)
    return _booked(request, call, status=201)


def _booked(request: HttpRequest, call: Call, status: int = 200) -> HttpResponse:
    tz = ZoneInfo(call.invitee_time_zone)
    return render(
        request,
        "web/booking/booked.html",
        {"call": call, "local_start": call.start.astimezone(tz), "zone": call.invitee_time_zone},
        status=status,
    )


@require_GET
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page from the invitation: the call, other times, cancel."""
    try:
        call = queries.call_for_manage_token(token)
        zone = _zone(request.GET.get("tz") or call.invitee_time_zone)
    except SwitchboardError as exc:
        return render(request, "web/booking/gone.html", {"message": exc.message}, status=404)
    return _manage_page(request, call, zone)


def _manage_page(
    request: HttpRequest, call: Call, zone: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    now = timezone.now()
    tz = ZoneInfo(zone)
    days: OrderedDict[date, list[dict[str, str]]] = OrderedDict()
    if call.status == CallStatus.SCHEDULED:
        start = datetime.combine(now.astimezone(tz).date(), time(0), tz)
        for slot in availability.slots_for(
            call.agent,
            call.event_type,
            start=start,
            end=start + timedelta(days=PAGE_DAYS * 2),
            now=now,
            exclude_call_id=call.pk,
        ):
            if slot == call.start:
                continue
            local = slot.astimezone(tz)
            days.setdefault(local.date(), []).append(
                {"value": slot.astimezone(UTC).isoformat(), "label": f"{local:%H:%M}"}
            )
    return render(
        request,
        "web/booking/manage.html",
        {
            "call": call,
            "zone": zone,
            "zones": ZONES,
            "local_start": call.start.astimezone(tz),
            "days": list(days.items()),
            "error": error,
            "path": request.path,
        },
        status=status,
    )


@csrf_exempt  # the signed link is the credential
@require_POST
def manage_action(request: HttpRequest, token: str, op: str) -> HttpResponse:
    try:
        call = queries.call_for_manage_token(token)
    except SwitchboardError as exc:
        return render(request, "web/booking/gone.html", {"message": exc.message}, status=404)
    zone = call.invitee_time_zone
    try:
        if op == "reschedule":
            start = _parse_when(request.POST.get("start"), "UTC", "start")
            if start is None:
                raise ValidationFailed("start: choose a new time.", field="start")
            call = actions.reschedule_call(call=call, start=start)
        elif op == "cancel":
            call = actions.cancel_call(call=call, reason=request.POST.get("reason", ""))
        else:
            raise NotFound()
    except SwitchboardError as exc:
        return _manage_page(request, call, zone, error=exc.message, status=exc.status_code)
    return redirect(request.path.rsplit("/", 1)[0])
