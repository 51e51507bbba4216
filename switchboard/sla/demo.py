"""Demo data for `manage.py seed_demo`: the shipped SLA setup and clocks for open tickets."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from switchboard.sla.clocks import resync_ticket
from switchboard.sla.defaults import install_defaults
from switchboard.tickets.models import Ticket, TicketStatus


@transaction.atomic
def seed() -> bool:
    """Ensure the default schedules and policies, and start clocks on unsolved tickets that
    have none (tickets seeded before the SLA app). Idempotent."""
    created = install_defaults(apps)
    now = timezone.now()
    pending = Ticket.objects.exclude(status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED]).filter(
        sla_clocks__isnull=True
    )
    for ticket in pending.iterator():
        resync_ticket(ticket, now)
        created = created or Ticket.objects.get(pk=ticket.pk).sla_clocks.exists()
    return created
