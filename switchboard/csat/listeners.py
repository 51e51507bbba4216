"""Ticket event listener (order 120, after SLA 10, on-call 50, triggers 100, time rules 110):
solving a ticket schedules its survey; reopening it before the survey went out cancels it."""

from __future__ import annotations

from switchboard.core.seeding import is_seeding
from switchboard.csat import actions
from switchboard.tickets.events import TicketEvent
from switchboard.tickets.models import TicketStatus


def on_ticket_event(event: TicketEvent) -> None:
    change = event.changes.get("status")
    if change is None or is_seeding():
        # Demo or imported history: nobody is asked to rate it (csat/demo.py adds ratings).
        return
    old, new = change
    if new == TicketStatus.SOLVED and old != TicketStatus.SOLVED:
        actions.schedule_survey(ticket=event.ticket, now=event.at)
    elif old == TicketStatus.SOLVED and new != TicketStatus.CLOSED:
        actions.cancel_survey(ticket=event.ticket, now=event.at)
