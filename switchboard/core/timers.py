"""Generic stored deadlines: schedule a named timer, and a handler runs once when it is due.

    schedule_timer("tickets.close_solved", key=str(ticket.pk), due_at=solved_at + 4 days)
    @timer_handler("tickets.close_solved")
    def close_solved(timer, now): ...

Scheduling is an upsert on (kind, key), so it is safe to call again; cancelling clears the due
time. The sweeper marks a timer fired in the same transaction as its handler's writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When

from switchboard.core.models import Timer
from switchboard.core.sweeps import register_sweep

logger = logging.getLogger(__name__)

TimerHandler = Callable[[Timer, datetime], None]
_HANDLERS: dict[str, TimerHandler] = {}


def timer_handler(kind: str) -> Callable[[TimerHandler], TimerHandler]:
    def decorate(func: TimerHandler) -> TimerHandler:
        _HANDLERS[kind] = func
        return func

    return decorate


@transaction.atomic
def schedule_timer(
    kind: str, *, key: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> Timer:
    """Set (or move) the deadline `(kind, key)` to `due_at`; re-arms a timer that already fired."""
    timer, _ = Timer.objects.update_or_create(
        kind=kind,
        key=key,
        defaults={"due_at": due_at, "payload": payload or {}, "fired_at": None, "attempts": 0},
    )
    return timer


def cancel_timer(kind: str, *, key: str) -> int:
    return Timer.objects.filter(kind=kind, key=key, due_at__isnull=False).update(due_at=None)


def _fire(timer: Timer, now: datetime) -> None:
    due = timer.due_at
    handler = _HANDLERS.get(timer.kind)
    if handler is None:
        # Unknown kinds are parked, not retried forever.
        timer.last_error = f"no handler registered for timer kind {timer.kind!r}"
        logger.error(timer.last_error)
    else:
        handler(timer, now)
        timer.fired_at = now
        timer.last_error = ""
    timer.attempts += 1
    Timer.objects.filter(pk=timer.pk).update(
        # A handler that re-armed its own timer (schedule_timer) keeps the new due time.
        due_at=Case(When(due_at=due, then=Value(None)), default=F("due_at")),
        fired_at=timer.fired_at,
        attempts=timer.attempts,
        last_error=timer.last_error,
    )


MAX_TIMER_ATTEMPTS = 10


def _failed(timer: Timer, now: datetime, exc: Exception) -> None:
    """Retry a failing timer with backoff; after MAX_TIMER_ATTEMPTS park it with the error."""
    attempts = timer.attempts + 1
    due_at = None if attempts >= MAX_TIMER_ATTEMPTS else now + timedelta(minutes=2**attempts)
    Timer.objects.filter(pk=timer.pk).update(
        attempts=attempts, due_at=due_at, last_error=f"{type(exc).__name__}: {exc}"[:2000]
    )


register_sweep("core.timers", model=Timer, due_field="due_at", handler=_fire, on_error=_failed)
