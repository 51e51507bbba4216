"""Ticket event listener (worker, after the triggers and time rules; see tickets/events.py):
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
        if actions.survey_scheduled_at(ticket=event.ticket, at=event.at):
            return  # this event's job ran before (a retry): one survey per solve
        actions.schedule_survey(ticket=event.ticket, now=event.at)
    elif old == TicketStatus.SOLVED and new != TicketStatus.CLOSED:
        actions.cancel_survey(ticket=event.ticket, now=event.at)
