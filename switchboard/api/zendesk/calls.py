"""Customer calls in the API (not a Zendesk endpoint): booking links, calls, event types.

Agents only. The public booking endpoints (`/book/<token>` and `/book/<token>/slots`) take no
credentials and live in web/booking.py; docs/api.md documents both.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from switchboard.accounts.models import SupportGroup, User
from switchboard.api.zendesk.base import actor, forbidden, json_response, route
from switchboard.api.zendesk.schemas import ERRORS, Loose, SimpleError
from switchboard.calls import actions, queries
from switchboard.calls.models import Call, EventType
from switchboard.core.errors import NotFound, ValidationFailed
from switchboard.tickets.queries import ticket_for_user

router = Router(tags=["customer calls"])
CALL_ERRORS = {**ERRORS, 409: SimpleError}


class BookingLinkIn(Schema):
    ticket_id: int
    event_type: str = Field(max_length=60, description="An event type's slug or id.")
    agent_id: int | None = None
    group_id: int | None = None


class BookingLinkOut(Schema):
    booking_url: str
    expires_at: str
    id: int


def _agents_only(request: HttpRequest) -> HttpResponse | None:
    if not actor(request).is_agent:
        return forbidden("Only agents can manage calls.")
    return None


def event_type_json(event_type: EventType) -> dict[str, Any]:
    return {
        "id": event_type.pk,
        "slug": event_type.slug,
        "title": event_type.title,
        "description": event_type.description,
        "duration_minutes": event_type.duration_minutes,
        "buffer_before_minutes": event_type.buffer_before_minutes,
        "buffer_after_minutes": event_type.buffer_after_minutes,
        "minimum_notice_minutes": event_type.minimum_notice_minutes,
        "booking_window_days": event_type.booking_window_days,
        "step_minutes": event_type.step_minutes,
        "questions": event_type.questions,
        "priority_or_implementation_only": event_type.priority_or_implementation_only,
        "on_team_calendar": event_type.shows_on_team_calendar,
    }


def call_json(call: Call) -> dict[str, Any]:
    """The agent's view of a call (the intake answers included)."""
    return {
        "id": call.pk,
        "uid": call.uid,
        "ticket_id": call.ticket_id,
        "status": call.status,
        "sequence": call.sequence,
        "event_type": call.event_type.slug,
        "start": call.start.isoformat(),
        "end": call.end.isoformat(),
        "agent_id": call.agent_id,
        "second_agent_id": call.second_agent_id,
        "second_role": call.second_role or None,
        "invitee": {
            "name": call.invitee_name,
            "email": call.invitee_email,
            "time_zone": call.invitee_time_zone,
        },
        "answers": call.answers,
        "meeting_url": call.meeting_url,
        "meeting_provider": call.meeting_provider,
        "lock_meeting": call.lock_meeting,
        "customer_joined_at": call.customer_joined_at,
        "ended_at": call.ended_at,
        "created_at": call.created_at,
        "updated_at": call.updated_at,
    }


@route(router, ["GET"], "/calls/event_types", response={200: Loose, **ERRORS})
def list_event_types(request: HttpRequest) -> HttpResponse:
    """Active event types, in display order."""
    if denied := _agents_only(request):
        return denied
    types = EventType.objects.filter(active=True).order_by("position", "title")
    return json_response({"event_types": [event_type_json(e) for e in types]})


def _event_type(value: str) -> EventType:
    query = EventType.objects.filter(slug=value)
    if value.isdigit():
        query = EventType.objects.filter(pk=int(value))
    event_type = query.first()
    if event_type is None:
        raise ValidationFailed(f"event_type: no event type {value!r}.", field="event_type")
    return event_type


@route(router, ["POST"], "/calls/booking_links", response={201: BookingLinkOut, **CALL_ERRORS})
def create_booking_link(request: HttpRequest, payload: BookingLinkIn) -> HttpResponse:
    """Mint a single-use booking link for a ticket, with an agent or a group (least recently
    booked free agent). Older unused links of the ticket are revoked. The URL is shown once."""
    if denied := _agents_only(request):
        return denied
    who = actor(request)
    try:
        ticket = ticket_for_user(who, payload.ticket_id)
    except NotFound:
        raise ValidationFailed("ticket_id: no such ticket.", field="ticket_id") from None
    agent: User | None = None
    group: SupportGroup | None = None
    if payload.agent_id is not None:
        agent = User.objects.filter(pk=payload.agent_id).first()
        if agent is None:
            raise ValidationFailed("agent_id: no such agent.", field="agent_id")
    if payload.group_id is not None:
        group = SupportGroup.objects.filter(pk=payload.group_id).first()
        if group is None:
            raise ValidationFailed("group_id: no such group.", field="group_id")
    with transaction.atomic():
        link, url = actions.mint_booking_link(
            actor=who,
            ticket=ticket,
            event_type=_event_type(payload.event_type),
            agent=agent,
            group=group,
        )
    return json_response(
        {"booking_url": url, "expires_at": link.expires_at.isoformat(), "id": link.pk},
        status=201,
    )


@route(router, ["GET"], "/calls/{int:call_id}", response={200: Loose, **ERRORS})
def show_call(request: HttpRequest, call_id: int) -> HttpResponse:
    if denied := _agents_only(request):
        return denied
    return json_response({"call": call_json(queries.call_for_user(actor(request), call_id))})


@route(router, ["DELETE"], "/calls/{int:call_id}", response={200: Loose, **CALL_ERRORS})
def cancel_call(request: HttpRequest, call_id: int) -> HttpResponse:
    """Cancel a scheduled call (METHOD:CANCEL to everyone); 409 if it is not scheduled."""
    if denied := _agents_only(request):
        return denied
    who = actor(request)
    call = queries.call_for_user(who, call_id)
    reason = request.GET.get("reason", "")
    call = actions.cancel_call(call=call, actor=who, reason=reason)
    return json_response({"call": call_json(call)})
