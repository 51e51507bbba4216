"""Time rules of the tickets app, run by the worker's sweeper from stored due times.

Solved → closed: one timer per solved ticket (`tickets.close_solved`, armed and cancelled by the
actions as the status moves), due at `solved_at + close_after()`. The delay is
SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS unless a higher app supplies one (notify's admin-editable
"Solved → closed after N days" rule, through `use_close_delay`); the handler re-checks the delay
when it fires, so a delay raised since waits for the new due time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings

from switchboard.core.models import Timer
from switchboard.core.timers import timer_handler

CLOSE_SOLVED = "tickets.close_solved"

_close_delay_days: list[Callable[[], float | None]] = []


def use_close_delay(provider: Callable[[], float | None]) -> None:
    """Register where the close delay comes from (days; None: fall back to the setting)."""
    _close_delay_days[:] = [provider]


def close_after() -> timedelta:
    days = _close_delay_days[0]() if _close_delay_days else None
    if days is None:
        days = float(getattr(settings, "SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS", 4))
    return timedelta(days=days)


@timer_handler(CLOSE_SOLVED)
def close_solved_ticket(timer: Timer, now: datetime) -> None:
    """Solved → closed once the configured days have passed (idempotent: re-checks the state)."""
    from switchboard.tickets.actions.lifecycle import close_if_still_solved

    close_if_still_solved(ticket_id=int(timer.key), now=now)
