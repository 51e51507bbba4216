"""The audit trail of one action: its events, written as one TicketAudit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from switchboard.accounts import access
from switchboard.accounts.access import Actor
from switchboard.tickets.models import AuditEvent, Comment, Ticket, TicketAudit


@dataclass
class Audit:
    """Collects the events of one change set and writes them as one TicketAudit."""

    ticket: Ticket
    actor: Actor
    via: str
    at: datetime
    kind: str = AuditEvent.Kind.CHANGE
    events: list[AuditEvent] = field(default_factory=list)
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def change(self, name: str, old: Any, new: Any) -> None:
        if old == new:
            return
        if name in self.changes:  # two steps in one action: keep the first "from"
            old = self.changes[name][0]
        self.changes[name] = (old, new)
        self.events.append(
            AuditEvent(kind=self.kind, field=name, from_value=jsonable(old), to_value=jsonable(new))
        )

    def comment(self, comment: Comment) -> None:
        self.events.append(AuditEvent(kind=AuditEvent.Kind.COMMENT, comment=comment))

    def save(self) -> TicketAudit | None:
        if not self.events:
            return None
        audit = TicketAudit.objects.create(
            ticket=self.ticket, actor=access.person(self.actor), via=self.via, created_at=self.at
        )
        for event in self.events:
            event.audit = audit
        AuditEvent.objects.bulk_create(self.events)
        keep_events(audit, self.events)
        return audit


def keep_events(audit: TicketAudit, events: list[AuditEvent]) -> None:
    """`audit.events.all()` answers with the events just written, without a query: what
    `prefetch_related("events")` would have stored (the API renders the audit it wrote)."""
    written = audit.events.all()
    written._result_cache = list(events)
    written._prefetch_done = True
    audit._prefetched_objects_cache = {"events": written}


def saved_id(audit: TicketAudit | None) -> int | None:
    """The id of the audit `Audit.save()` wrote (None when nothing changed): the event's key."""
    return audit.pk if audit is not None else None


def jsonable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    return value
