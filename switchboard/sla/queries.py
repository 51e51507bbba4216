"""Reads over SLA clocks: a ticket's clocks, time left, and the index-backed hawk lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from switchboard.sla.clocks import time_left
from switchboard.sla.models import ClockState, TicketClock
from switchboard.tickets.models import Ticket, TicketStatus

__all__ = ["breached", "breaching_within", "clocks_for", "time_left"]

_DONE = [TicketStatus.SOLVED, TicketStatus.CLOSED]


def clocks_for(ticket: Ticket) -> QuerySet[TicketClock]:
    """Every clock of the ticket, oldest first, with its policy and schedule."""
    return (
        TicketClock.objects.filter(ticket_id=ticket.pk)
        .select_related("policy", "schedule")
        .order_by("original_started_at", "pk")
    )


def breaching_within(minutes: float, now: datetime | None = None) -> QuerySet[Ticket]:
    """Unsolved tickets whose earliest running SLA clock is due in [now, now + minutes).

    A range scan on the partial index over Ticket.sla_due_at.
    """
    now = now or timezone.now()
    return Ticket.objects.filter(
        sla_due_at__gte=now, sla_due_at__lt=now + timedelta(minutes=minutes)
    ).exclude(status__in=_DONE)


def breached() -> QuerySet[Ticket]:
    """Unsolved tickets with a breached clock still waiting for its reply or resolution."""
    clocks = TicketClock.objects.filter(state=ClockState.BREACHED, stopped_at__isnull=True)
    return Ticket.objects.filter(pk__in=clocks.values("ticket_id")).exclude(status__in=_DONE)


def unanswered_breach() -> Q:
    """Tickets with a clock the sweeper marked breached that nobody has answered since (the
    saved views' "SLA breached" condition; registered in apps.py)."""
    unanswered = TicketClock.objects.filter(
        ticket_id=OuterRef("pk"), state=ClockState.BREACHED, stopped_at__isnull=True
    )
    return Q(Exists(unanswered))
