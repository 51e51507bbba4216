"""The portal's permission-checked reads: a customer's ticket lists and attachments.

Built on accounts.access (the one place that decides who sees what); every function here only
narrows what it allows. What of a ticket the customer sees is tickets.projection.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from switchboard.accounts import access
from switchboard.accounts.models import Role, User
from switchboard.core.errors import NotFound
from switchboard.tickets.models import Attachment, Ticket, TicketField, TicketStatus
from switchboard.tickets.queries import visible_tickets


def portal_ticket_fields() -> list[TicketField]:
    """The custom ticket fields the portal's new-ticket form offers: active and "visible in
    portal". Any other field is neither shown nor accepted there."""
    return list(TicketField.objects.filter(active=True, visible_in_portal=True))


ACTIVE_STATUSES = [
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.HOLD,
]


def _filtered(qs: QuerySet[Ticket], status: str) -> QuerySet[Ticket]:
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status in TicketStatus.values:
        qs = qs.filter(status=status)
    return qs.select_related("requester").order_by("-updated_at", "-pk")


def my_tickets(user: Any, *, status: str = "") -> QuerySet[Ticket]:
    """Tickets the user requested or is CC'd on."""
    cc = Ticket.ccs.through.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
    mine = visible_tickets(user).filter(Q(requester_id=user.pk) | Q(Exists(cc)))
    return _filtered(mine, status)


def sees_organization(user: Any) -> bool:
    """Whether the user may see their colleagues' tickets (org setting or personal override)."""
    viewer = access.viewer_for(user)
    if viewer.role != Role.END_USER or viewer.organization_id is None or not viewer.is_active:
        return False
    return access.org_wide_rights(viewer)[0]


def organization_tickets(user: Any, *, status: str = "") -> QuerySet[Ticket]:
    """The organization's tickets the user may see; empty unless `sees_organization`."""
    if not sees_organization(user):
        return Ticket.objects.none()
    qs = visible_tickets(user).filter(organization_id=user.organization_id)
    return _filtered(qs, status)


def attachment_for_user(user: Any, attachment_id: Any) -> Attachment:
    """An attachment the user may download: on a comment they may read (end-users: a public
    comment of a ticket they may view, or of a ticket merged into one whose conversation the
    merge kept public). NotFound otherwise."""
    try:
        attachment_id = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    attachment = (
        Attachment.objects.select_related("ticket", "comment", "ticket__merged_into")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise NotFound()
    if access.is_agent(user):
        return attachment
    if attachment.comment is None or not attachment.comment.public:
        raise NotFound()
    ticket = attachment.ticket
    if access.can_view(user, ticket):
        return attachment
    if (
        ticket.merged_into is not None
        and ticket.merged_comments_public
        and access.can_view(user, ticket.merged_into)
    ):
        return attachment
    raise NotFound()


def support_contacts(organization_id: int) -> QuerySet[User]:
    """The organization's active end-users, for its sold-to contact."""
    return User.objects.filter(
        organization_id=organization_id, role=Role.END_USER, is_active=True
    ).order_by("name", "email")
