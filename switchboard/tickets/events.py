"""Ticket events: what happened to a ticket, handed to listeners inside the same transaction.

The SLA clocks and (later) triggers and notifications listen here, so every write path —
web, API, email, automations — drives them through the same actions. Listeners run inside the
action's transaction: they update due times and enqueue deliveries atomically with the change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from switchboard.accounts.models import User
    from switchboard.tickets.models import Comment, Ticket


class EventKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # field changes (status, priority, assignee, ...)
    COMMENTED = "commented"  # a comment was added (alongside any field changes)
    MERGED = "merged"


@dataclass(frozen=True)
class TicketEvent:
    kind: EventKind
    ticket: Ticket
    actor: User | None
    at: datetime
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    comment: Comment | None = None

    def changed(self, name: str) -> bool:
        return name in self.changes


Listener = Callable[[TicketEvent], None]
_listeners: list[tuple[int, Listener]] = []


def listen(listener: Listener, *, order: int = 100) -> Listener:
    """Register a listener; lower `order` runs first (SLA clocks before notifications)."""
    if all(existing is not listener for _, existing in _listeners):
        _listeners.append((order, listener))
        _listeners.sort(key=lambda item: item[0])
    return listener


def emit(event: TicketEvent) -> None:
    for _, listener in list(_listeners):
        listener(event)
