"""After each public comment: re-score the conversation and flag (or unflag) "call suggested"."""

from __future__ import annotations

from switchboard.calls import suggest
from switchboard.calls.models import ACTIVE_STATUSES, Call, CallStatus, CallSuggestion
from switchboard.tickets.events import EventKind, TicketEvent
from switchboard.tickets.models import TicketStatus

MAX_MESSAGES = 50


def on_ticket_event(event: TicketEvent) -> None:
    comment = event.comment
    if event.kind not in (EventKind.CREATED, EventKind.COMMENTED) or comment is None:
        return
    if not comment.public:
        return
    ticket = event.ticket
    if comment.author_id is not None and event.actor is not None and event.actor.is_agent:
        # An agent's public reply after an ended call counts as its summary.
        from switchboard.calls.actions import mark_summary_posted

        if Call.objects.filter(ticket=ticket, status=CallStatus.ENDED).exists():
            mark_summary_posted(ticket_id=ticket.pk, author_id=event.actor.pk, at=event.at)
    if ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return
    rows = list(
        ticket.comments.filter(public=True)
        .order_by("created_at", "pk")
        .values_list("author__role", "body")[:MAX_MESSAGES]
    )
    messages = [suggest.Message(from_customer=role == "end_user", body=body) for role, body in rows]
    reasons = suggest.score(messages)
    has_call = Call.objects.filter(ticket=ticket, status__in=ACTIVE_STATUSES).exists()
    if reasons and not has_call:
        CallSuggestion.objects.update_or_create(
            ticket=ticket, defaults={"reasons": reasons, "score": float(len(reasons))}
        )
    else:
        CallSuggestion.objects.filter(ticket=ticket, dismissed_at__isnull=True).delete()
