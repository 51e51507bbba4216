"""Demo calls for `manage.py seed_demo`: event types, agents' rooms, org policies, a few calls."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from switchboard.accounts.models import Organization, SupportLevel, User
from switchboard.calls import actions, availability
from switchboard.calls.models import AgentCallSettings, EventType, OrganizationCallPolicy
from switchboard.tickets.models import Ticket, TicketStatus


def _next_free(agent: User, event_type: EventType, after: datetime) -> datetime | None:
    found = availability.slots_for(
        agent, event_type, start=after, end=after + timedelta(days=14), now=timezone.now()
    )
    return found[0] if found else None


@transaction.atomic
def seed() -> bool:
    """False (and no change) when the demo calls are already there."""
    agent = User.objects.filter(email="agent@switchboard.test").first()
    if agent is None or AgentCallSettings.objects.filter(user=agent).exists():
        return False
    importlib.import_module(
        "switchboard.calls.migrations.0002_no_overlap_constraint_and_event_types"
    ).create_event_types(apps, None)
    if not agent.working_hours:
        agent.working_hours = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
        agent.save(update_fields=["working_hours"])
    AgentCallSettings.objects.create(user=agent, meeting_url="https://zoom.us/j/5550100")
    orgs = list(Organization.objects.filter(is_internal=False).order_by("pk"))
    priority = [o for o in orgs if o.support_level == SupportLevel.PRIORITY]
    standard = [o for o in orgs if o.support_level == SupportLevel.STANDARD]
    if standard:
        OrganizationCallPolicy.objects.create(organization=standard[0], implementation_support=True)
    if len(priority) > 1:
        OrganizationCallPolicy.objects.create(organization=priority[1], required_provider="")
    booked = 0
    tickets = Ticket.objects.filter(
        status__in=(TicketStatus.OPEN, TicketStatus.PENDING), organization__in=priority[:1] or orgs
    ).order_by("pk")[:2]
    after = timezone.now() + timedelta(days=1)
    for ticket, slug in zip(tickets, ("support-call", "support-discovery-call"), strict=False):
        event_type = EventType.objects.get(slug=slug)
        start = _next_free(agent, event_type, after)
        if start is None:
            continue
        _link, url = actions.mint_booking_link(
            actor=agent, ticket=ticket, event_type=event_type, agent=agent
        )
        actions.book_call(
            token=url.rsplit("/", 1)[1],
            start=start,
            name=ticket.requester.name or ticket.requester.email,
            email=ticket.requester.email,
            time_zone=ticket.requester.time_zone or "UTC",
        )
        booked += 1
        after = start + timedelta(hours=3)
    return True
