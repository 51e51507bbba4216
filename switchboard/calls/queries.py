"""Permission-checked reads: a call for a user, a ticket's calls, the team calendar, feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from switchboard.accounts import access
from switchboard.calls import links
from switchboard.calls.models import BookingLink, Call, CallFeedToken, CallStatus, EventType
from switchboard.core.errors import NotFound
from switchboard.core.tokens import hash_token
from switchboard.tickets.queries import ticket_for_user, visible_tickets

CALL_RELATED = ("event_type", "agent", "second_agent", "ticket", "ticket__requester")


def link_for_token(token: str) -> BookingLink | None:
    if not token or len(token) > 200:
        return None
    return (
        BookingLink.objects.select_related(
            "ticket", "ticket__organization", "event_type", "agent", "group"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )


def call_for_user(user: Any, call_id: Any) -> Call:
    """The call if `user` is an agent who may see its ticket; NotFound otherwise (either way)."""
    if not access.is_agent(user):
        raise NotFound()
    try:
        call_id = int(call_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    call = Call.objects.select_related(*CALL_RELATED).filter(pk=call_id).first()
    if call is None or not access.can_view(user, call.ticket):
        raise NotFound()
    return call


def call_for_manage_token(token: str) -> Call:
    data = links.read_manage(token or "")
    if data is None:
        raise NotFound("This link is not valid.")
    call = (
        Call.objects.select_related(*CALL_RELATED).filter(pk=data["c"], uid=data.get("u")).first()
    )
    if call is None:
        raise NotFound("This link is not valid.")
    return call


def calls_for_ticket(user: Any, ticket_id: Any) -> list[Call]:
    """The ticket's calls for an agent who may see the ticket (NotFound otherwise)."""
    ticket = ticket_for_user(user, ticket_id)
    if not access.is_agent(user):
        raise NotFound()
    return calls_of_ticket(ticket)


def calls_of_ticket(ticket: Any) -> list[Call]:
    """A ticket's calls, newest first, in one query (the caller checked access)."""
    return list(
        Call.objects.filter(ticket=ticket)
        .select_related("event_type", "agent", "second_agent")
        .order_by("-start", "-pk")
    )


def team_calls(user: Any, start: datetime, end: datetime) -> QuerySet[Call]:
    """Every agent's calls in [start, end) on event types shown on the Support team calendar."""
    shown = [e.pk for e in EventType.objects.all() if e.shows_on_team_calendar]
    return (
        Call.objects.filter(
            event_type_id__in=shown,
            start__lt=end,
            end__gt=start,
            ticket__in=visible_tickets(user),
        )
        .exclude(status=CallStatus.CANCELED)
        .select_related("event_type", "agent", "second_agent", "ticket")
        .order_by("start", "pk")
    )


def my_calls(user: Any, start: datetime, end: datetime) -> QuerySet[Call]:
    from django.db.models import Q

    return (
        Call.objects.filter(Q(agent=user) | Q(second_agent=user), start__lt=end, end__gt=start)
        .exclude(status=CallStatus.CANCELED)
        .select_related("event_type", "agent", "second_agent", "ticket")
        .order_by("start", "pk")
    )


def feed_owner(token: str) -> CallFeedToken | None:
    row = CallFeedToken.by_token(token)
    if row is None or not row.user.is_active or not access.is_agent(row.user):
        return None
    return row


def event_types_for(ticket: Any = None) -> list[EventType]:
    from switchboard.calls.actions import organization_allows

    types = list(EventType.objects.filter(active=True).order_by("position", "title"))
    if ticket is None:
        return types
    allowed = [e for e in types if not e.priority_or_implementation_only]
    restricted = [e for e in types if e.priority_or_implementation_only]
    if restricted and organization_allows(restricted[0], ticket):  # one check for all of them
        allowed += restricted
    return sorted(allowed, key=lambda e: (e.position, e.title))
