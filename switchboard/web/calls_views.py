"""Agent pages for customer calls: the ticket's call buttons, the team calendar (/calls/), iCal
feeds, "Call suggested" and the agent's own call settings. Thin: one action or query each."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from switchboard.accounts.access import Action
from switchboard.accounts.models import SupportGroup, User
from switchboard.calls import actions, ics, queries
from switchboard.calls.models import (
    AgentCallSettings,
    Call,
    CallFeedToken,
    CallStatus,
    CallSuggestion,
    EventType,
    FeedKind,
)
from switchboard.core.errors import NotFound, SwitchboardError, ValidationFailed
from switchboard.core.links import agent_ticket_url
from switchboard.tickets.queries import ticket_for_user, visible_tickets
from switchboard.web.auth import agent_page


def calls_panel(
    user: Any, ticket: Any, event_types: list[EventType] | tuple[EventType, ...] | None = None
) -> dict[str, Any]:
    """The ticket page's calls section: its calls, what can be booked, a suggestion, the org's
    upgrade intake. `ticket` was already read through the access check; two queries (calls with
    the intake, event types; three when a restricted event type needs the organization's
    policy, one more when the ticket was read without its call suggestion), however many
    calls there are. `event_types`: the active call types when the caller has them (the ticket
    page's cached pick lists; then one query fewer)."""
    calls, org_intake = queries.calls_and_intake(ticket)
    ended_without_summary = any(
        c.status == CallStatus.ENDED and c.summary_posted_at is None for c in calls
    )
    suggestion = queries.open_suggestion(ticket)
    return {
        "calls": calls,
        "event_types": queries.event_types_for(ticket, active=event_types),
        "summary_due": ended_without_summary,
        "suggestion": [effects_reason(r) for r in suggestion.reasons] if suggestion else [],
        "org_intake": org_intake,
        "now": timezone.now(),
        "zone": getattr(user, "time_zone", "") or "UTC",
    }


def effects_reason(key: str) -> str:
    from switchboard.calls.suggest import REASONS

    return REASONS.get(key, key)


def _event_type(value: Any) -> EventType:
    event_type = EventType.objects.filter(pk=value if str(value).isdigit() else None).first()
    if event_type is None:
        raise ValidationFailed("event_type: choose a call type.", field="event_type")
    return event_type


@require_POST
@agent_page
def mint_link(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Mint a single-use link (the agent pastes it or uses the invite macro)."""
    ticket = ticket_for_user(request.user, ticket_id, Action.COMMENT)
    event_type = _event_type(request.POST.get("event_type"))
    target = request.POST.get("target") or "me"
    agent, group = None, None
    if target == "me":
        agent = request.user
    elif target.startswith("group:") and target[6:].isdigit():
        group = SupportGroup.objects.filter(pk=int(target[6:])).first()
        if group is None:
            raise ValidationFailed("target: no such group.", field="target")
    else:
        raise ValidationFailed('target: "me" or a group.', field="target")
    _link, url = actions.mint_booking_link(
        actor=request.user,  # type: ignore[arg-type]
        ticket=ticket,
        event_type=event_type,
        agent=agent,  # type: ignore[arg-type]
        group=group,
    )
    messages.success(request, f"Single-use booking link (older links revoked): {url}")
    return redirect("web-ticket", ticket_id=ticket.pk)


@require_POST
@agent_page
def start_now(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_for_user(request.user, ticket_id, Action.COMMENT)
    call = actions.start_call_now(
        actor=request.user,  # type: ignore[arg-type]
        ticket=ticket,
        event_type=_event_type(request.POST.get("event_type")),
    )
    messages.success(request, f"Meeting link posted: {call.meeting_url}")
    return redirect("web-ticket", ticket_id=ticket.pk)


CALL_OPS = ("cancel", "no-show", "joined", "end", "second-agent", "reschedule")


@require_POST
@agent_page
def call_action(request: HttpRequest, call_id: int, op: str) -> HttpResponse:
    call = queries.call_for_user(request.user, call_id)
    user: User = request.user  # type: ignore[assignment]
    if op == "cancel":
        actions.cancel_call(call=call, actor=user, reason=request.POST.get("reason", ""))
        done = "Call canceled; everyone got the cancellation."
    elif op == "no-show":
        actions.record_no_show(call=call, actor=user)
        done = "No-show recorded; the customer got a fresh booking link."
    elif op == "joined":
        actions.mark_customer_joined(call=call, actor=user)
        done = "Customer marked as joined."
    elif op == "end":
        actions.end_call(call=call, actor=user)
        done = "Call ended: the summary macro is filled in below."
    elif op == "second-agent":
        agent_id = request.POST.get("agent_id") or ""
        second = None
        if agent_id:
            second = User.objects.filter(pk=int(agent_id) if agent_id.isdigit() else 0).first()
            if second is None:
                raise ValidationFailed("agent_id: no such agent.", field="agent_id")
        actions.set_second_agent(
            call=call, actor=user, agent=second, role=request.POST.get("role") or "shadow"
        )
        done = "Second agent updated."
    elif op == "reschedule":
        raw = request.POST.get("start") or ""
        try:
            local = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationFailed("start: a date and time.", field="start") from None
        if local.tzinfo is None:
            local = local.replace(tzinfo=ZoneInfo(user.time_zone or "UTC"))
        actions.reschedule_call(call=call, start=local, actor=user)
        done = "Call moved; everyone got the updated invitation."
    else:
        raise NotFound()
    messages.success(request, done)
    return redirect("web-ticket", ticket_id=call.ticket_id)


# --- the team calendar -------------------------------------------------------------------------


@require_GET
@agent_page
def calendar(request: HttpRequest) -> HttpResponse:
    """Day or week of every agent's calls on event types shown on the Support calendar."""
    user: User = request.user  # type: ignore[assignment]
    tz = ZoneInfo(user.time_zone or "UTC")
    mode = "day" if request.GET.get("view") == "day" else "week"
    today = timezone.now().astimezone(tz).date()
    try:
        first = date.fromisoformat(request.GET.get("date") or today.isoformat())
    except ValueError:
        first = today
    if abs((first - today).days) > 3660:  # ten years either way; far dates overflow datetime
        first = today
    if mode == "week":
        first -= timedelta(days=first.weekday())
    span = 1 if mode == "day" else 7
    start = datetime.combine(first, time(0), tz)
    end = datetime.combine(first + timedelta(days=span), time(0), tz)
    calls = list(queries.team_calls(user, start, end))
    days: list[tuple[date, list[Call]]] = [(first + timedelta(days=i), []) for i in range(span)]
    by_date = dict(days)  # the same lists: filling by_date fills days
    for call in calls:
        by_date.setdefault(call.start.astimezone(tz).date(), []).append(call)
    feeds = {row.kind for row in CallFeedToken.objects.filter(user=user)}
    return render(
        request,
        "web/calls/calendar.html",
        {
            "mode": mode,
            "days": days,
            "zone": user.time_zone or "UTC",
            "first": first,
            "previous": (first - timedelta(days=span)).isoformat(),
            "next": (first + timedelta(days=span)).isoformat(),
            "feeds": feeds,
            "new_feed": request.session.pop("calls_new_feed", None),
        },
    )


@require_POST
@agent_page
def rotate_feed(request: HttpRequest, kind: str) -> HttpResponse:
    token = actions.rotate_feed_token(user=request.user, kind=kind)  # type: ignore[arg-type]
    # Shown once, on the next page: the token itself is not stored.
    request.session["calls_new_feed"] = {
        "kind": kind,
        "url": request.build_absolute_uri(f"/calls/feeds/{token}.ics"),
    }
    return redirect("calls-calendar")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    """GET /calls/feeds/<token>.ics: the team calendar or the owner's calls, 2 weeks back to
    8 weeks ahead. 404 for an unknown or rotated token."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    row = queries.feed_owner(token)
    if row is None:
        return HttpResponse("Not found", status=404, content_type="text/plain")
    now = timezone.now()
    start, end = now - timedelta(days=14), now + timedelta(days=56)
    if row.kind == FeedKind.TEAM:
        calls = queries.team_calls(row.user, start, end)
        name = "Support team calls"
    else:
        calls = queries.my_calls(row.user, start, end)
        name = f"Calls of {row.user.name or row.user.email}"
    events = []
    for call in calls:
        events.append(
            ics.CallEvent(
                uid=call.uid,
                sequence=call.sequence,
                start=call.start,
                end=call.end,
                summary=f"{call.event_type.title}: {call.agent.name or call.agent.email} "
                f"(#{call.ticket_id})",
                description=f"{agent_ticket_url(call.ticket_id)}\nJoin: {call.meeting_url}",
                location=call.meeting_url,
                url=agent_ticket_url(call.ticket_id),
                organizer_email=call.agent.email,
                organizer_name=call.agent.name,
                attendees=(),
                updated=call.updated_at,
            )
        )
    body = ics.feed(events, name=name, zone=row.user.time_zone or "UTC")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- call suggested, my settings -------------------------------------------------------------


@require_GET
@agent_page
def suggested(request: HttpRequest) -> HttpResponse:
    rows = list(
        CallSuggestion.objects.filter(
            dismissed_at__isnull=True, ticket__in=visible_tickets(request.user)
        )
        .exclude(ticket__status__in=("solved", "closed"))
        .select_related("ticket", "ticket__requester", "ticket__assignee")
        .order_by("-updated_at")[:200]
    )
    from switchboard.calls.suggest import REASONS

    return render(
        request,
        "web/calls/suggested.html",
        {"rows": [(row, [REASONS.get(r, r) for r in row.reasons]) for row in rows]},
    )


@require_POST
@agent_page
def dismiss_suggestion(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_for_user(request.user, ticket_id, Action.COMMENT)
    actions.dismiss_suggestion(ticket=ticket, actor=request.user)  # type: ignore[arg-type]
    return redirect("web-ticket", ticket_id=ticket.pk)


DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


def _hours_text(spans: list[list[str]]) -> str:
    return ", ".join(f"{a}-{b}" for a, b in spans)


def _parse_hours(data: Any) -> dict[str, list[list[str]]]:
    """{"mon": "09:00-12:00, 13:00-17:00", ...} from the form → User.working_hours."""
    hours: dict[str, list[list[str]]] = {}
    for day, name in DAY_NAMES.items():
        text = (data.get(f"hours_{day}") or "").strip()
        if not text:
            continue
        spans = []
        for part in text.split(","):
            start, sep, end = part.strip().partition("-")
            if not sep:
                raise ValidationFailed(
                    f"{name}: write hours like 09:00-17:00 (several separated by commas).",
                    field="working_hours",
                )
            spans.append([start.strip(), end.strip()])
        hours[day] = spans
    return hours


@agent_page
def my_settings(request: HttpRequest) -> HttpResponse:
    """The agent's own calls settings: time zone and working hours, room, busy calendar."""
    from switchboard.accounts.actions import update_user

    user: User = request.user  # type: ignore[assignment]
    error = ""
    if request.method == "POST":
        try:
            with transaction.atomic():  # both or neither
                update_user(
                    actor=user,
                    user=user,
                    time_zone=(request.POST.get("time_zone") or "").strip(),
                    working_hours=_parse_hours(request.POST),
                )
                actions.save_agent_call_settings(
                    actor=user,
                    meeting_url=request.POST.get("meeting_url", ""),
                    calendar_url=request.POST.get("calendar_url", ""),
                )
        except SwitchboardError as exc:
            error = exc.message
        else:
            messages.success(request, "Call settings saved.")
            return redirect("calls-settings")
        user.refresh_from_db()
    row = AgentCallSettings.objects.filter(user=user).first()
    hours = user.working_hours or {}
    return render(
        request,
        "web/calls/settings.html",
        {
            "row": row,
            "error": error,
            "zone": user.time_zone,
            "days": [
                (
                    day,
                    name,
                    request.POST.get(f"hours_{day}") if error else _hours_text(hours.get(day, [])),
                )
                for day, name in DAY_NAMES.items()
            ],
        },
        status=422 if error else 200,
    )
