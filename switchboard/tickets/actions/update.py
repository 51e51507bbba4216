"""Changing ticket fields: update_ticket (with compare-and-set) and its shorthands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.models import User
from switchboard.core.errors import Conflict, PermissionDenied, ValidationFailed
from switchboard.tickets.actions.audit import Audit, jsonable, saved_id
from switchboard.tickets.actions.changes import apply_changes, close_timer, transition_status
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.fields import choice
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import Channel, Ticket, TicketStatus


def _stored(ticket: Ticket, name: str) -> Any:
    """A field's value as a form sends it back: ids for users and groups."""
    if name in ("assignee", "group", "organization", "requester"):
        return getattr(ticket, f"{name}_id")
    return getattr(ticket, name)


def _drop_unchanged_or_conflict(
    ticket: Ticket, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Compare-and-set, under the row lock: for each field the caller changed from the value
    it saw (`expected`), a field someone else changed meanwhile is a Conflict (both values
    reported) unless they set what the caller wants; fields already as wanted are dropped."""
    conflicts: list[tuple[str, Any, Any]] = []
    for name, seen in expected.items():
        if name not in changes:
            continue
        wanted = jsonable(changes[name]) if changes[name] is not None else None
        current = _stored(ticket, name)
        if current == wanted:
            del changes[name]
        elif current != seen:
            conflicts.append((name, wanted, current))
    if conflicts:
        raise Conflict(
            "Someone else changed "
            + ", ".join(name for name, _, _ in conflicts)
            + " since you opened this ticket; nothing was saved.",
            conflicts=conflicts,
        )


def require_unchanged_since(*, ticket: Ticket, stamp: datetime) -> Ticket:
    """Zendesk's safe_update: lock the ticket for the caller's transaction and raise Conflict
    if it changed after `stamp` (an `updated_at` the caller read, to the second as rendered)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("require_unchanged_since must run inside the update's transaction")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.updated_at.replace(microsecond=0) > stamp:
        raise Conflict()
    return locked


@transaction.atomic
def update_ticket(
    *,
    ticket: Ticket,
    actor: Actor,
    via: str = Channel.WEB,
    at: datetime | None = None,
    expected: dict[str, Any] | None = None,
    keep_status: bool = False,
    **changes: Any,
) -> Ticket:
    """Change ticket fields (status, priority, assignee, group, tags, custom fields, ...).

    An agent's first update moves a new ticket to open (unless `keep_status`). A requester may
    only solve their own ticket and change its CCs (tickets.actions.ccs decides who). Closed
    tickets never change. `expected` ({field: the value the caller saw, ids for users and
    groups}) makes the change a compare-and-set: see _drop_unchanged_or_conflict.
    """
    now = at or timezone.now()
    access.require_actor(actor)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if expected:
        _drop_unchanged_or_conflict(ticket, changes, expected)
    if not access.is_agent(actor):
        access.require(actor, ticket, access.Action.VIEW)
        if set(changes) == {"ccs"}:
            if ticket.requester_id != actor.pk:
                raise PermissionDenied("Only the requester can change who is copied.")
        elif set(changes) != {"status"} or changes["status"] != TicketStatus.SOLVED:
            raise PermissionDenied("Customers can only mark their request as solved.")
        elif ticket.requester_id != actor.pk:
            raise PermissionDenied("Only the requester can mark this request as solved.")
    if ticket.is_closed:
        raise ValidationFailed(
            f"status: ticket #{ticket.pk} is closed and cannot change.",
            field="status",
            code="Closed",
        )
    audit = Audit(ticket, actor, choice("via", via, Channel.values), now)
    old_status = ticket.status
    apply_changes(ticket, actor, changes, audit)
    if (
        ticket.status == TicketStatus.NEW
        and actor is not SYSTEM
        and access.is_agent(actor)
        and audit.events
        and not keep_status
    ):
        transition_status(ticket, actor, TicketStatus.OPEN, audit, now)
    save_changes(ticket, actor, audit, old_status)
    return ticket


def save_changes(ticket: Ticket, actor: Actor, audit: Audit, old_status: str) -> bool:
    """Write the field changes collected in `audit` on a locked ticket: the row, the audit,
    the close timer, and the UPDATED event for the listeners (SLA clocks first). False, with
    nothing written, when nothing changed."""
    if not audit.events:
        return False
    ticket.updated_at = audit.at
    ticket.save()
    saved = audit.save()
    close_timer(ticket, old_status)
    emit(
        TicketEvent(
            EventKind.UPDATED,
            ticket,
            actor,
            audit.at,
            dict(audit.changes),
            audit_id=saved_id(saved),
        )
    )
    return True


def change_status(*, ticket: Ticket, actor: User, status: str) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, status=status)


def solve_ticket(*, ticket: Ticket, actor: User, comment: str = "", public: bool = True) -> Ticket:
    if comment:
        add_comment(
            ticket=ticket, author=actor, body=comment, public=public, status=TicketStatus.SOLVED
        )
        return Ticket.objects.get(pk=ticket.pk)
    return update_ticket(ticket=ticket, actor=actor, status=TicketStatus.SOLVED)


def add_tags(*, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, add_tags=list(tags))


def remove_tags(
    *, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB
) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, remove_tags=list(tags))


def set_tags(*, ticket: Ticket, actor: User, tags: Iterable[str], via: str = Channel.WEB) -> Ticket:
    return update_ticket(ticket=ticket, actor=actor, via=via, tags=list(tags))
