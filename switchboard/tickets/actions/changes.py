"""Field and status changes applied to a locked ticket inside an action's transaction (shared by
updates, replies, merges and the close rule), and the solved → closed timer they arm."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.accounts.models import ProductLine, Region, User
from switchboard.core.errors import ValidationFailed
from switchboard.core.timers import cancel_timer, schedule_timer
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.actions.ccs import check_ccs
from switchboard.tickets.actions.fields import (
    AGENT_FIELDS,
    FORM_FIELDS,
    active_agent,
    check_tag_count,
    choice,
    clean_custom_fields,
    normalize_tags,
    write_tags,
)
from switchboard.tickets.models import Priority, Ticket, TicketStatus, TicketType
from switchboard.tickets.tasks import CLOSE_SOLVED, close_after


def close_timer(ticket: Ticket, old_status: str) -> None:
    if ticket.status == TicketStatus.SOLVED and old_status != TicketStatus.SOLVED:
        schedule_timer(CLOSE_SOLVED, key=str(ticket.pk), due_at=ticket.solved_at + close_after())
    elif ticket.status != TicketStatus.SOLVED and old_status == TicketStatus.SOLVED:
        cancel_timer(CLOSE_SOLVED, key=str(ticket.pk))


def transition_status(
    ticket: Ticket, actor: Actor, status: str, audit: Audit, now: datetime
) -> None:
    status = choice("status", status, TicketStatus.values)
    old = ticket.status
    if status == old:
        return
    if old == TicketStatus.CLOSED:
        raise ValidationFailed(
            f"status: ticket #{ticket.pk} is closed; closed tickets never reopen.",
            field="status",
            code="Closed",
        )
    if status == TicketStatus.NEW:
        raise ValidationFailed(
            "status: a ticket cannot go back to new.", field="status", code="InvalidValue"
        )
    if status == TicketStatus.CLOSED and actor is not SYSTEM:
        raise ValidationFailed(
            "status: tickets close automatically after they are solved; solve it instead.",
            field="status",
            code="InvalidValue",
        )
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
        if ticket.assignee_id is None and actor is not SYSTEM and access.is_agent(actor):
            audit.change("assignee", None, actor)
            ticket.assignee = actor
    if status == TicketStatus.CLOSED:
        ticket.closed_at = now
    ticket.status = status
    audit.change("status", old, status)


def apply_changes(ticket: Ticket, actor: Actor, changes: dict[str, Any], audit: Audit) -> None:
    now = audit.at
    for name, value in changes.items():
        if name == "status":
            continue  # applied last, so "solve" sees the new assignee
        if name in ("tags", "add_tags", "remove_tags"):
            current = ticket.tag_names()
            tags = normalize_tags(value or [])
            if name == "tags":
                new = check_tag_count(tags)
            elif name == "add_tags":
                have = set(current)
                new = check_tag_count(current + [t for t in tags if t not in have], "tags")
            else:
                drop = set(tags)
                new = [t for t in current if t not in drop]
            write_tags(ticket, new, audit)
            continue
        if name == "custom_fields":
            cleaned = clean_custom_fields(value)
            merged = {**ticket.custom_fields, **cleaned}
            audit.change("custom_fields", ticket.custom_fields, merged)
            ticket.custom_fields = merged
            continue
        if name == "ccs":
            users = list(value or [])
            before = sorted(ticket.cc_ids())
            check_ccs(actor=actor, ticket=ticket, users=users, before=before)
            ticket.ccs.set(users)
            audit.change("ccs", before, sorted(u.pk for u in users))
            continue
        if name not in AGENT_FIELDS:
            raise ValidationFailed(f"{name}: not a ticket field that can be changed.", field=name)
        old = getattr(ticket, name)
        if name == "priority":
            value = choice("priority", value, Priority.values)
        elif name == "ticket_type":
            value = choice("type", value or "", ["", *TicketType.values])
        elif name == "product_line":
            value = choice("product_line", value or "", ["", *ProductLine.values])
        elif name == "preferred_region":
            value = choice("preferred_region", value, Region.values)
        elif name == "assignee":
            value = active_agent(value, "assignee")
        elif name == "subject":
            value = (value or "").strip()
            if not value:
                raise ValidationFailed(
                    "subject: cannot be blank.", field="subject", code="BlankValue"
                )
            if len(value) > 255:
                raise ValidationFailed(
                    "subject: at most 255 characters.", field="subject", code="TooLong"
                )
        elif name == "requester":
            if not isinstance(value, User) or not value.is_active:
                raise ValidationFailed("requester: unknown or inactive user.", field="requester")
        elif name in FORM_FIELDS or name == "external_id":
            value = "" if value is None else str(value)
        setattr(ticket, name, value)
        audit.change(name, old, value)
    if "status" in changes and changes["status"] is not None:
        transition_status(ticket, actor, changes["status"], audit, now)
