"""The helpdesk rule: an urgent ticket from a priority-support organization pages the services
marked for it (the Customer Emergency service), deduplicated per ticket; and once the ticket
has a public agent reply or is solved, the incidents it opened are acknowledged (someone is on
it), unless SWITCHBOARD_ONCALL_ACK_ON_TICKET_RESPONSE is off."""

from __future__ import annotations

from django.conf import settings

from switchboard.accounts.access import is_agent, person
from switchboard.oncall.models import Incident, IncidentStatus, Service
from switchboard.tickets.events import EventKind, TicketEvent


def _response_to(event: TicketEvent) -> str:
    """Why this event means someone is working the ticket ("" if it does not)."""
    ticket = event.ticket
    if event.changed("status") and ticket.status in ("solved", "closed"):
        return f"ticket #{ticket.pk} was {ticket.status}"
    comment = event.comment
    if comment is not None and comment.public and comment.author_id and is_agent(comment.author):
        return f"ticket #{ticket.pk} got a public reply from an agent"
    return ""


def acknowledge_for_ticket(event: TicketEvent) -> None:
    if not getattr(settings, "SWITCHBOARD_ONCALL_ACK_ON_TICKET_RESPONSE", True):
        return
    reason = _response_to(event)
    if not reason:
        return
    from switchboard.oncall.actions import acknowledge_incident

    who = person(event.comment.author if event.comment is not None else event.actor)
    for incident in Incident.objects.filter(
        ticket_id=event.ticket.pk, origin="helpdesk", status=IncidentStatus.TRIGGERED
    ):
        acknowledge_incident(
            incident=incident, user=who if is_agent(who) else None, now=event.at, reason=reason
        )


def on_ticket_event(event: TicketEvent) -> None:
    if event.kind in (EventKind.UPDATED, EventKind.COMMENTED):
        acknowledge_for_ticket(event)
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
