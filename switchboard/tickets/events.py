"""Ticket events, and in one ordered list (`LISTENERS`) everything that runs after a ticket write.

Every ticket action (create, comment, update, merge, the close timer, system tags) ends with
`emit(TicketEvent(...))`. Then, in the order of `LISTENERS`:

- the **request** listeners run at once, inside the action's transaction, because the answer to
  the request shows what they write (the SLA clocks and `Ticket.sla_due_at`);
- the **worker** listeners run later, in the worker, from ONE durable job that `emit` enqueues in
  the same transaction (`core.jobs.enqueue`: if the action rolls back, so does the job). The job
  carries the event as plain data (kind, ticket id, actor id, changes, comment id, audit id, time)
  and runs the worker listeners in this order, in one transaction. A job may run twice (a retry,
  a worker lost mid-job): each worker listener is idempotent — upserts, outbox idempotency keys,
  the triggers' unique (trigger, event key) firing row, the incident dedup key. The job reads
  the ticket once (`from_payload`) and every worker listener gets that object; a listener changes
  a ticket only through its actions (which lock and read their own copy, and emit their own
  event), so the trigger engine uses it as is.

With `SWITCHBOARD_TICKET_EVENTS_INLINE` on (the test settings; see docs/operations.md), or while
seeding demo data, `emit` calls the same job function at once, in the transaction, instead of
enqueueing it: the code path after `emit` is the same, only the moment differs.

Lower apps never import higher ones: the listeners are dotted paths, resolved on first use.
"""

from __future__ import annotations

import contextvars
import enum
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from switchboard.core.jobs import enqueue, job
from switchboard.core.seeding import is_seeding

if TYPE_CHECKING:
    from switchboard.tickets.models import Comment, Ticket


class EventKind(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # field changes (status, priority, assignee, ...)
    COMMENTED = "commented"  # a comment was added (alongside any field changes)
    MERGED = "merged"


class Phase(enum.StrEnum):
    REQUEST = "request"  # inside the action's transaction, before the request answers
    WORKER = "worker"  # from the event's job, after the commit (sub-second with a worker up)


@dataclass(frozen=True)
class Listener:
    path: str  # dotted path of a function taking a TicketEvent
    phase: Phase
    why: str


# Everything that runs after a ticket write, in order. Add a listener here, nowhere else.
LISTENERS: tuple[Listener, ...] = (
    Listener(
        "switchboard.sla.clocks.on_ticket_event",
        Phase.REQUEST,
        "SLA clocks start/pause/fulfil; Ticket.sla_due_at, which the API answer shows",
    ),
    Listener(
        "switchboard.tickets.search_index.on_ticket_event",
        Phase.WORKER,
        "the agents' full-text document (PostgreSQL)",
    ),
    Listener(
        "switchboard.oncall.helpdesk.on_ticket_event",
        Phase.WORKER,
        "urgent priority-support ticket pages on call; a response acknowledges the page",
    ),
    Listener(
        "switchboard.notify.rules.triggers.on_ticket_event",
        Phase.WORKER,
        "triggers: conditions on the ticket, field changes, emails, webhooks, chat",
    ),
    Listener(
        "switchboard.notify.rules.automations.on_ticket_event",
        Phase.WORKER,
        "time rules: (re)arm or cancel their timers",
    ),
    Listener(
        "switchboard.csat.listeners.on_ticket_event",
        Phase.WORKER,
        "solve schedules the survey, reopen cancels it",
    ),
    Listener(
        "switchboard.calls.suggest_listener.on_ticket_event",
        Phase.WORKER,
        'public comments re-score "suggest a call"; an agent reply marks a call summary',
    ),
    Listener(
        "switchboard.crm.casepush.on_ticket_event",
        Phase.WORKER,
        "queue the Salesforce case upsert (created, each solve) when a CRM is configured",
    ),
)


@dataclass(frozen=True)
class TicketEvent:
    kind: EventKind
    ticket: Ticket
    actor: Any  # a User, accounts.access.SYSTEM, or None (nobody)
    at: datetime
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    comment: Comment | None = None
    audit_id: int | None = None  # the TicketAudit the action wrote, if any
    from_rules: bool = False  # a trigger's or time rule's own change (triggers skip it)
    # The ticket was read by this event's job (`from_payload`) in the job's transaction: the
    # trigger engine uses it as is instead of reading it again. Off inline, where the ticket is
    # the action's object in hand.
    loaded_by_job: bool = False

    def changed(self, name: str) -> bool:
        return name in self.changes

    def key(self) -> str:
        """A stable id of this event: a rule fires at most once per key."""
        if self.kind == EventKind.CREATED:
            return f"created:{self.ticket.pk}"
        if self.comment is not None:
            return f"comment:{self.comment.pk}"
        if self.audit_id is not None:
            return f"audit:{self.audit_id}"
        return f"{self.kind.value}:{self.ticket.pk}:{self.at.isoformat()}"


EventListener = Callable[[TicketEvent], None]

# Set while a rule applies its own changes: the events they emit carry from_rules=True.
_applying: contextvars.ContextVar[bool] = contextvars.ContextVar("ticket_rules_applying")


@contextmanager
def applying_rules() -> Iterator[None]:
    token = _applying.set(True)
    try:
        yield
    finally:
        _applying.reset(token)


def rules_applying() -> bool:
    return _applying.get(False)


@cache
def listeners(phase: Phase) -> tuple[EventListener, ...]:
    return tuple(import_string(item.path) for item in LISTENERS if item.phase == phase)


def emit(event: TicketEvent) -> None:
    """Run the request listeners now; the worker listeners from one job, same transaction."""
    if rules_applying() and not event.from_rules:
        event = replace(event, from_rules=True)
    for listener in listeners(Phase.REQUEST):
        listener(event)
    payload = to_payload(event)
    if getattr(settings, "SWITCHBOARD_TICKET_EVENTS_INLINE", False) or is_seeding():
        # The same function the job runs, with the objects in hand instead of reloading them.
        run_worker_listeners(replace(event, changes=_changes(payload)))
    else:
        enqueue(process_ticket_event, payload)


# --- the event as the job's argument ------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A change's value as JSON: people by email, named things by name, other rows by id."""
    from switchboard.accounts.models import User

    if isinstance(value, User):
        return value.email
    if hasattr(value, "pk"):
        return getattr(value, "name", None) or value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple | list):
        return sorted(_plain(item) for item in value)
    return value


def to_payload(event: TicketEvent) -> dict[str, Any]:
    from switchboard.accounts.access import SYSTEM

    actor = event.actor
    return {
        "kind": event.kind.value,
        "ticket": event.ticket.pk,
        "actor": "system" if actor is SYSTEM else (actor.pk if actor is not None else None),
        "at": event.at.isoformat(),
        "changes": {name: [_plain(old), _plain(new)] for name, (old, new) in event.changes.items()},
        "comment": event.comment.pk if event.comment is not None else None,
        "audit": event.audit_id,
        "from_rules": event.from_rules,
    }


def _changes(payload: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (old, new) for name, (old, new) in payload["changes"].items()}


def from_payload(payload: dict[str, Any]) -> TicketEvent | None:
    """The event back from its job's argument (None if the ticket was deleted since).

    The ticket comes with its organization and requester (one query); the people the listeners
    read — actor, comment author, assignee, the organization's account manager — in one more,
    less those already in hand. Its group is read on first use, if it has one: a join that
    mostly comes back empty costs more than the rare query."""
    from switchboard.accounts.access import SYSTEM
    from switchboard.accounts.models import User
    from switchboard.tickets.models import Comment, Ticket

    try:
        ticket = Ticket.objects.select_related("organization", "requester").get(
            pk=payload["ticket"]
        )
    except Ticket.DoesNotExist:
        return None
    comment = None
    if payload["comment"] is not None:
        with suppress(Comment.DoesNotExist):  # None if deleted since
            comment = Comment.objects.get(pk=payload["comment"])
    org, requester = ticket.organization, ticket.requester
    if org is not None and requester.organization_id == org.pk:
        requester.organization = org
    actor_id = payload["actor"] if payload["actor"] != "system" else None
    author_id = comment.author_id if comment is not None else None
    account_manager_id = org.account_manager_id if org is not None else None
    people = {requester.pk: requester}
    wanted = {actor_id, author_id, ticket.assignee_id, account_manager_id} - {None} - set(people)
    if wanted:
        people.update((user.pk, user) for user in User.objects.filter(pk__in=wanted))
    # Each object in hand goes where the listeners look for it (no lazy query left for them).
    if ticket.assignee_id in people:
        ticket.assignee = people[ticket.assignee_id]
    if org is not None and account_manager_id in people:
        org.account_manager = people[account_manager_id]
    if comment is not None:
        comment.ticket = ticket
        if author_id in people:
            comment.author = people[author_id]
    actor: Any = payload["actor"]
    if actor == "system":
        actor = SYSTEM
    elif actor is not None:
        actor = people.get(actor)  # None if the user was deleted since
    return TicketEvent(
        kind=EventKind(payload["kind"]),
        ticket=ticket,
        actor=actor,
        at=datetime.fromisoformat(payload["at"]),
        changes=_changes(payload),
        comment=comment,
        audit_id=payload["audit"],
        from_rules=payload["from_rules"],
        loaded_by_job=True,
    )


def run_worker_listeners(event: TicketEvent) -> None:
    token = _applying.set(event.from_rules)
    try:
        for listener in listeners(Phase.WORKER):
            listener(event)
    finally:
        _applying.reset(token)


@job(queue="events", priority=10, backoff_base=1.0, backoff_max=300.0)
def process_ticket_event(payload: dict[str, Any]) -> None:
    """The worker half of one ticket event (idempotent: every worker listener is)."""
    from django.db import transaction

    with transaction.atomic():
        event = from_payload(payload)
        if event is not None:
            run_worker_listeners(event)
