"""Verifying a requester's entitlement together with their unsolved tickets (DOMAIN.md §1).

`accounts.actions.verify_entitlement` associates the person with the organization; this action
(the one the agent pages call) does that and, in the same transaction, re-associates the person's
unsolved tickets that were opened unverified, so none keeps waiting without an SLA.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from switchboard.accounts import actions as account_actions
from switchboard.accounts.models import Organization, User
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.actions.changes import apply_changes
from switchboard.tickets.actions.update import save_changes
from switchboard.tickets.models import Channel, Ticket, TicketStatus, TicketTag
from switchboard.tickets.vocab import TAG_ENTITLEMENT_UNVERIFIED

UNSOLVED = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.HOLD)


@transaction.atomic
def verify_requester(
    *,
    agent: User,
    user: User,
    organization: Organization,
    reason: str = "",
    at: datetime | None = None,
) -> list[int]:
    """Verify `user`'s entitlement as a member of `organization` (the accounts action: who may,
    the account audit), then re-associate each of their unsolved tickets (new, open, pending,
    on hold) that has no organization or carries the `entitlement_unverified` tag: the
    organization set and the tag removed, one audit per ticket by the verifying agent, and the
    SLA listener re-evaluates the policy (the paid policy's clocks start now). Solved and closed
    tickets, and unsolved ones already filed under an organization without the tag, are left as
    they were. Returns the ids of the tickets changed, in id order."""
    now = at or timezone.now()
    person = account_actions.verify_entitlement(
        agent=agent, user=user, organization=organization, reason=reason
    )
    tagged = TicketTag.objects.filter(name=TAG_ENTITLEMENT_UNVERIFIED).values("ticket_id")
    tickets = (
        Ticket.objects.select_for_update()
        .filter(requester=person, status__in=UNSOLVED)
        .filter(Q(organization__isnull=True) | Q(pk__in=tagged))
        .order_by("pk")
    )
    changed: list[int] = []
    for ticket in tickets:
        audit = Audit(ticket, agent, Channel.WEB, now)
        apply_changes(
            ticket,
            agent,
            {"organization": organization, "remove_tags": [TAG_ENTITLEMENT_UNVERIFIED]},
            audit,
        )
        if save_changes(ticket, agent, audit, ticket.status):
            changed.append(ticket.pk)
    return changed
