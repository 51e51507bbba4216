"""Permission-checked reads of tickets and comments. Missing and forbidden look the same."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from switchboard.accounts import access
from switchboard.core.errors import NotFound
from switchboard.tickets import projection
from switchboard.tickets.models import Comment, Ticket


def visible_tickets(user: Any, *, action: access.Action = access.Action.VIEW) -> QuerySet[Ticket]:
    """Tickets `user` may see (or comment on): `accounts.access.visible_tickets` (where the rule
    lives) applied to all tickets."""
    return access.visible_tickets(user, Ticket.objects.all(), action=action)


# What most callers of ticket_for_user read besides the ticket (the check itself needs none).
TICKET_RELATED = ("requester", "organization", "assignee", "group")


def ticket_for_user(
    user: Any,
    ticket_id: Any,
    action: access.Action | str = access.Action.VIEW,
    *,
    related: tuple[str, ...] = TICKET_RELATED,
    ccs: bool = True,
) -> Ticket:
    """The ticket if `user` may `action` it; NotFound otherwise, whether missing or forbidden.

    `related`: the rows to read with it (select_related); `ccs=False` leaves its CC list unread
    (the access check reads it for end-users only; a caller that reads the CCs some other way)."""
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    qs = Ticket.objects.filter(pk=ticket_id)
    if related:  # select_related() with no names would follow every foreign key
        qs = qs.select_related(*related)
    if ccs:
        qs = qs.prefetch_related("ccs")  # the access check reads them; callers list them
    ticket = qs.first()
    if ticket is None:
        raise NotFound()
    access.require(user, ticket, access.Action(action))
    return ticket


def ticket_row_for_user(
    user: Any, ticket_id: Any, action: access.Action | str = access.Action.VIEW
) -> Ticket:
    """`ticket_for_user` for callers that render the ticket's ids only (the API's projection):
    the ticket row alone, and its CC list only when the access rule reads it (end users).
    A fraction of the CPU of the four-way join the pages use."""
    staff = access.is_staff_viewer(access.viewer_for(user))
    return ticket_for_user(user, ticket_id, action, related=(), ccs=not staff)


def comments_for(
    user: Any, ticket: Ticket, *, thread: list[int] | None = None
) -> QuerySet[Comment]:
    """The conversation as `user` may read it: the ticket's comments plus, by reference, those
    of tickets merged into it. Internal notes are for agents only, and so are the carried
    comments of a merge that kept them internal (Ticket.merged_comments_public).

    Each comment carries `shown_public`: whether the ticket's requester sees it here (a public
    reply carried from an internal merge is an internal note on this ticket)."""
    access.require(user, ticket, access.Action.VIEW)
    shown_public = projection.shown_public_q(ticket)
    # `ticket_id IN (this ticket and those merged into it)`: an index scan on the comments'
    # ticket_id, where an OR across the join made PostgreSQL hash every comment and ticket.
    # `thread`: those ids, when the caller has read them already.
    ids = thread or Ticket.objects.filter(Q(pk=ticket.pk) | Q(merged_into=ticket)).values("pk")
    qs = Comment.objects.filter(ticket_id__in=ids).annotate(
        shown_public=ExpressionWrapper(shown_public, output_field=BooleanField())
    )
    qs = projection.visible_comments(access.viewer_for(user), qs, on_ticket=ticket)
    return qs.select_related("author").prefetch_related("attachments").order_by("created_at", "pk")
