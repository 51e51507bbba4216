"""After each public comment: re-score the conversation and flag (or unflag) "call suggested"."""

from __future__ import annotations

from switchboard.calls import suggest
from switchboard.calls.models import ACTIVE_STATUSES, Call, CallSuggestion
from switchboard.tickets.events import EventKind, TicketEvent
from switchboard.tickets.models import TicketStatus

MAX_MESSAGES = 50


def on_ticket_event(event: TicketEvent) -> None:
    """Two to four queries per public comment (none for anything else)."""
    comment = event.comment
    if event.kind not in (EventKind.CREATED, EventKind.COMMENTED) or comment is None:
        return
    if not comment.public:
        return
    ticket = event.ticket
    if event.kind == EventKind.COMMENTED and event.actor is not None and event.actor.is_agent:
        # An agent's public reply after an ended call counts as its summary (one UPDATE).
        from switchboard.calls.actions import mark_summary_posted

        mark_summary_posted(ticket_id=ticket.pk, at=event.at)
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return
    if event.kind == EventKind.CREATED:
        messages = [suggest.Message(from_customer=not _agent(event), body=comment.body)]
    else:
        rows = list(
            ticket.comments.filter(public=True)
            .order_by("created_at", "pk")
            .values_list("author__role", "body")[:MAX_MESSAGES]
        )
        messages = [
            suggest.Message(from_customer=role == "end_user", body=body) for role, body in rows
        ]
    reasons = suggest.score(messages)
    if reasons and not Call.objects.filter(ticket=ticket, status__in=ACTIVE_STATUSES).exists():
        updated = CallSuggestion.objects.filter(ticket=ticket).update(
            reasons=reasons, score=float(len(reasons)), updated_at=event.at
        )
        if not updated:
            CallSuggestion.objects.create(ticket=ticket, reasons=reasons, score=float(len(reasons)))
    elif event.kind == EventKind.COMMENTED:
        CallSuggestion.objects.filter(ticket=ticket, dismissed_at__isnull=True).delete()


def _agent(event: TicketEvent) -> bool:
    author = event.comment.author if event.comment is not None else None
    return bool(author is not None and author.is_agent)
