"""Listeners for SLA warnings and breaches (notifications subscribe here).

    from switchboard.sla.hooks import on_sla_event

    @on_sla_event
    def tell_chat(kind: str, clock: TicketClock, minutes_left: float) -> None: ...

`kind` is "warning" or "breach"; `minutes_left` is calendar minutes from the moment of the event
to the clock's due time (negative once overdue). Listeners run inside the transaction that
records the event (the sweep's, or the ticket action's for a breach at once), so work they
enqueue commits with it; a listener that raises rolls that clock's event back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchboard.sla.models import TicketClock

SlaListener = Callable[[str, "TicketClock", float], None]
_listeners: list[SlaListener] = []


def on_sla_event(listener: SlaListener) -> SlaListener:
    """Register `listener(kind, clock, minutes_left)`; registering twice is a no-op."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def remove_listener(listener: SlaListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def fire(kind: str, clock: TicketClock, minutes_left: float) -> None:
    for listener in list(_listeners):
        listener(kind, clock, minutes_left)
