"""Permission-checked reads: a call for a user, a ticket's calls, the team calendar, feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet, Subquery

from switchboard.accounts import access
from switchboard.calls import links
from switchboard.calls.models import (
    BookingLink,
    Call,
    CallFeedToken,
    CallStatus,
    CallSuggestion,
    EventType,
)
from switchboard.core.errors import NotFound
from switchboard.core.tokens import hash_token
from switchboard.tickets.queries import ticket_for_user, visible_tickets

CALL_RELATED = ("event_type", "agent", "second_agent", "ticket", "ticket__requester")
AGENT_NAME = ("name", "email")  # how the ticket page's calls panel names a call's agents


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


def calls_and_intake(ticket: Any) -> tuple[list[Call], Call | None]:
    """A ticket's calls, newest first (as calls_of_ticket), and its organization's upgrade
    intake: the newest call on any of the organization's tickets, not canceled, that answered
    `current_version` (None without an organization). One query: the intake is a subquery, so
    the ticket page does not pay a second one; the caller checked access."""
    mine = Q(ticket_id=ticket.pk)
    # Every column of the call and its event type; of the agents what the panel names (a user
    # row is ~20 columns, and compiling the columns is most of this query's cost).
    qs = Call.objects.select_related("event_type", "agent", "second_agent").only(
        *(f.name for f in Call._meta.concrete_fields),
        *(f"event_type__{f.name}" for f in EventType._meta.concrete_fields),
        *(f"{agent}__{name}" for agent in ("agent", "second_agent") for name in AGENT_NAME),
    )
    if not ticket.organization_id:
        return list(qs.filter(mine).order_by("-start", "-pk")), None
    intake = Subquery(upgrade_intakes(ticket.organization_id).order_by("-start").values("pk")[:1])
    rows = list(qs.filter(mine | Q(pk=intake)).order_by("-start", "-pk"))
    calls = [c for c in rows if c.ticket_id == ticket.pk]
    # The intake is the row of another ticket, else the newest of this ticket's calls that is
    # one (the subquery's pick; annotating which row it is would compile it twice).
    intake_row = next((c for c in rows if c.ticket_id != ticket.pk), None)
    return calls, intake_row or next((c for c in calls if is_upgrade_intake(c)), None)


INTAKE_ANSWER = "current_version"  # a question of the upgrade event type (migration 0002)


def upgrade_intakes(organization_id: int) -> QuerySet[Call]:
    """The organization's upgrade intakes: calls, not canceled, that answered the version."""
    return Call.objects.filter(
        ticket__organization_id=organization_id, answers__has_key=INTAKE_ANSWER
    ).exclude(status=CallStatus.CANCELED)


def is_upgrade_intake(call: Call) -> bool:
    """upgrade_intakes' rule for a call in hand (of one of the organization's tickets)."""
    answers = call.answers
    return (
        isinstance(answers, dict)
        and INTAKE_ANSWER in answers
        and call.status != CallStatus.CANCELED
    )


def open_suggestion(ticket: Any) -> CallSuggestion | None:
    """The ticket's call suggestion unless dismissed. One-to-one with the ticket: no query when
    the ticket was read with `select_related("call_suggestion")`."""
    try:
        suggestion = ticket.call_suggestion
    except CallSuggestion.DoesNotExist:
        return None
    return suggestion if suggestion.dismissed_at is None else None


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


def active_event_types() -> list[EventType]:
    """The bookable call types, in display order."""
    return list(EventType.objects.filter(active=True).order_by("position", "title"))


def event_types_for(
    ticket: Any = None, *, active: list[EventType] | tuple[EventType, ...] | None = None
) -> list[EventType]:
    """The call types an agent may offer on `ticket` (restricted ones only to organizations
    that allow them). `active`: active_event_types() when the caller has it already (the
    ticket page's cached pick lists)."""
    from switchboard.calls.actions import organization_allows

    types = active_event_types() if active is None else list(active)
    if ticket is None:
        return types
    allowed = [e for e in types if not e.priority_or_implementation_only]
    restricted = [e for e in types if e.priority_or_implementation_only]
    if restricted and organization_allows(restricted[0], ticket):  # one check for all of them
        allowed += restricted
    return sorted(allowed, key=lambda e: (e.position, e.title))
