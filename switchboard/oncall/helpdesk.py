"""The helpdesk rule: an urgent ticket from a priority-support organization pages the services
marked for it (the Customer Emergency service), deduplicated per ticket."""

from __future__ import annotations

from switchboard.oncall.models import Service
from switchboard.tickets.events import EventKind, TicketEvent


def on_ticket_event(event: TicketEvent) -> None:
    ticket = event.ticket
    if event.kind not in (EventKind.CREATED, EventKind.UPDATED):
        return
    if event.kind == EventKind.UPDATED and not event.changed("priority"):
        return
    org = ticket.organization
    if ticket.priority != "urgent" or org is None or org.support_level != "priority":
        return
    if ticket.status in ("solved", "closed"):
        return
    from switchboard.oncall.actions import trigger_incident

    for service in Service.objects.filter(
        pages_for_urgent_priority_tickets=True,
        scheduling_only=False,
        escalation_policy__isnull=False,
    ):
        trigger_incident(
            service=service,
            summary=f"Urgent ticket #{ticket.pk} from {org.name}: {ticket.subject}",
            dedup_key=f"ticket-{ticket.pk}",
            severity="critical",
            source="helpdesk",
            origin="helpdesk",
            ticket_id=ticket.pk,
            custom_details={"ticket_id": ticket.pk, "organization": org.name},
            now=event.at,
        )
