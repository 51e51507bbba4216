"""Permission-checked reads of tickets and comments. Missing and forbidden look the same."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from switchboard.accounts import access
from switchboard.core.errors import NotFound
from switchboard.tickets import projection
from switchboard.tickets.models import Comment, Ticket


def visible_tickets(user: Any, *, action: access.Action = access.Action.VIEW) -> QuerySet[Ticket]:
    """Tickets `user` may see (or comment on): `accounts.access.visible_tickets` (where the rule
    lives) applied to all tickets."""
    return access.visible_tickets(user, Ticket.objects.all(), action=action)


def ticket_for_user(
    user: Any, ticket_id: Any, action: access.Action | str = access.Action.VIEW
) -> Ticket:
    """The ticket if `user` may `action` it; NotFound otherwise, whether missing or forbidden."""
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    ticket = (
        Ticket.objects.select_related("requester", "organization", "assignee", "group")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        raise NotFound()
    access.require(user, ticket, access.Action(action))
    return ticket


def comments_for(user: Any, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation as `user` may read it: the ticket's comments plus, by reference, those
    of tickets merged into it. Internal notes are for agents only."""
    access.require(user, ticket, access.Action.VIEW)
    qs = Comment.objects.filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket))
    qs = projection.visible_comments(access.viewer_for(user), qs)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
