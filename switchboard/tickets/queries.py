"""Permission-checked reads of tickets and comments. Missing and forbidden look the same."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from switchboard.accounts import access
from switchboard.core.errors import NotFound
from switchboard.tickets.models import Comment, Ticket


def visible_tickets(user: Any, *, action: access.Action = access.Action.VIEW) -> QuerySet[Ticket]:
    """Tickets `user` may see (or comment on): the queryset form of accounts.access.decide."""
    viewer = access.viewer_for(user)
    if not viewer.is_active or viewer.id is None:
        return Ticket.objects.none()
    if viewer.role in ("agent", "admin"):
        return Ticket.objects.all()
    cc = Ticket.ccs.through.objects.filter(ticket_id=OuterRef("pk"), user_id=viewer.id)
    q = Q(requester_id=viewer.id) | Q(Exists(cc))
    if viewer.organization_id is not None:
        view, comment = access.org_wide_rights(viewer)
        if (view and action is access.Action.VIEW) or (comment and action is access.Action.COMMENT):
            q |= Q(organization_id=viewer.organization_id)
    return Ticket.objects.filter(q)


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
    if not access.is_agent(user):
        qs = qs.filter(public=True)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
