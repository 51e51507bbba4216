"""Time rules of the tickets app, run by the worker's sweeper from stored due times."""

from __future__ import annotations

from datetime import datetime

from switchboard.core.models import Timer
from switchboard.core.timers import timer_handler

CLOSE_SOLVED = "tickets.close_solved"


@timer_handler(CLOSE_SOLVED)
def close_solved_ticket(timer: Timer, now: datetime) -> None:
    """Solved → closed once the configured days have passed (idempotent: re-checks the state)."""
    from switchboard.tickets.actions.lifecycle import close_if_still_solved

    close_if_still_solved(ticket_id=int(timer.key), now=now)
