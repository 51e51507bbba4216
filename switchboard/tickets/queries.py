"""Permission-checked reads of tickets and comments. Missing and forbidden look the same."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

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
    of tickets merged into it. Internal notes are for agents only, and so are the carried
    comments of a merge that kept them internal (Ticket.merged_comments_public).

    Each comment carries `shown_public`: whether the ticket's requester sees it here (a public
    reply carried from an internal merge is an internal note on this ticket)."""
    access.require(user, ticket, access.Action.VIEW)
    shown_public = Q(public=True) & (
        Q(ticket_id=ticket.pk) | Q(ticket__merged_comments_public=True)
    )
    qs = Comment.objects.filter(Q(ticket=ticket) | Q(ticket__merged_into=ticket)).annotate(
        shown_public=ExpressionWrapper(shown_public, output_field=BooleanField())
    )
    if not access.is_agent(user):
        qs = qs.filter(shown_public)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
