"""The system's writes over a ticket's life: the solved → closed rule, system tags, deletion."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from switchboard.accounts.access import SYSTEM
from switchboard.accounts.models import Role, User
from switchboard.core.errors import PermissionDenied
from switchboard.core.timers import cancel_timer, schedule_timer
from switchboard.tickets.actions.audit import Audit, saved_id
from switchboard.tickets.actions.changes import transition_status
from switchboard.tickets.actions.fields import normalize_tags, write_tags
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import Channel, Ticket, TicketStatus
from switchboard.tickets.tasks import CLOSE_SOLVED, close_after


@transaction.atomic
def close_if_still_solved(*, ticket_id: int, now: datetime) -> bool:
    """Solved → closed (the `tickets.close_solved` timer); does nothing if the ticket moved on
    since, and waits for the new due time if the delay was raised."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or ticket.status != TicketStatus.SOLVED or ticket.solved_at is None:
        return False
    if ticket.solved_at + close_after() > now:
        schedule_timer(CLOSE_SOLVED, key=str(ticket.pk), due_at=ticket.solved_at + close_after())
        return False
    audit = Audit(ticket, SYSTEM, Channel.SYSTEM, now)
    transition_status(ticket, SYSTEM, TicketStatus.CLOSED, audit, now)
    ticket.updated_at = now
    ticket.save()
    saved = audit.save()
    emit(
        TicketEvent(
            EventKind.UPDATED, ticket, SYSTEM, now, dict(audit.changes), audit_id=saved_id(saved)
        )
    )
    return True


@transaction.atomic
def add_system_tag(*, ticket_id: int, tag: str, now: datetime) -> bool:
    """Tag a ticket on the system's behalf (e.g. `csat_survey_sent`), audited with no actor;
    False when the ticket is gone or already has the tag."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return False
    names = ticket.tag_names()
    if tag in names:
        return False
    audit = Audit(ticket, None, Channel.SYSTEM, now)
    write_tags(ticket, normalize_tags([*names, tag]), audit)
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    saved = audit.save()
    emit(
        TicketEvent(
            EventKind.UPDATED, ticket, None, now, dict(audit.changes), audit_id=saved_id(saved)
        )
    )
    return True


@transaction.atomic
def delete_ticket(*, ticket: Ticket, actor: User) -> None:
    """Admins only: delete a ticket with its comments and audits. Follow-ups and tickets merged
    into it stay, unlinked. The deletion is recorded in the account audit log (the ticket's own
    audit trail goes with it)."""
    from switchboard.accounts.models import AccountAuditEvent

    if actor is None or not actor.is_active or actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can delete tickets.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    cancel_timer(CLOSE_SOLVED, key=str(ticket.pk))
    AccountAuditEvent.objects.create(
        actor=actor,
        organization=ticket.organization,
        user=ticket.requester,
        field="ticket_deleted",
        old_value=f"#{ticket.pk} {ticket.subject}",
        new_value="",
    )
    ticket.delete()
