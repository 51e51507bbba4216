"""Case push: a ticket created or solved upserts a case record in Salesforce, through the outbox.

The ticket listener queues one delivery (channel "crm") per ticket and moment, keyed
``crm.case:<ticket>:created`` / ``…:solved:<n>`` in the ticket's transaction, so it is durable
and written once. The worker sends it like any delivery — claimed, retried with backoff, logged
attempt by attempt in the delivery log, dead after the retry window — and the upsert by external
id (``Switchboard_Ticket_Id__c`` on ``Case`` by default, both configurable in the mapping) makes
a repeat harmless. Only public text leaves: the subject and the public comments, never internal
notes or organization notes.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from switchboard.accounts import access
from switchboard.core.links import agent_ticket_url
from switchboard.crm.connector import Connector, CrmError, RateLimited, is_configured
from switchboard.crm.models import CaseLink, CrmContact
from switchboard.crm.sync import current_mapping
from switchboard.notify.models import Delivery
from switchboard.notify.outbox.delivery import Outcome
from switchboard.tickets import projection
from switchboard.tickets.events import EventKind, TicketEvent
from switchboard.tickets.models import Comment, Ticket, TicketStatus

logger = logging.getLogger("switchboard.crm")

CASE_STATUS = {
    TicketStatus.NEW: "New",
    TicketStatus.OPEN: "Working",
    TicketStatus.PENDING: "Working",
    TicketStatus.HOLD: "Working",
    TicketStatus.SOLVED: "Closed",
    TicketStatus.CLOSED: "Closed",
}
CASE_PRIORITY = {"low": "Low", "normal": "Medium", "high": "High", "urgent": "High"}
DESCRIPTION_MAX = 32000  # Case.Description's length in Salesforce
URL_FIELD = "Switchboard_Ticket_URL__c"

_connector: Connector | None = None


def _customer_view(ticket: Ticket) -> tuple[projection.TicketView, list[Comment]]:
    """What may leave for the CRM: the ticket as its requester sees it and the comments the
    requester side sees (public replies only, by the projection's rule, even when the requester
    is an agent)."""
    view = projection.ticket_view_for(access.SYSTEM, ticket)
    comments = (
        Comment.objects.filter(projection.shown_public_q(ticket))
        .filter(ticket=ticket)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    return view, list(comments)


def public_text(comments: list[Comment]) -> str:
    """The public comments, oldest first — never internal notes (the requester's projection)."""
    parts = []
    for comment in comments:
        author = (comment.author.name or comment.author.email) if comment.author else "Switchboard"
        parts.append(f"{author} ({comment.created_at:%Y-%m-%d %H:%M} UTC):\n{comment.body}")
    text = "\n\n".join(parts)
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def case_payload(ticket: Ticket, mapping: dict[str, Any]) -> dict[str, Any]:
    case = mapping["case"]
    view, comments = _customer_view(ticket)
    fields: dict[str, Any] = {
        "Subject": view.subject[:255],
        "Status": CASE_STATUS.get(view.status, "Working"),
        "Priority": CASE_PRIORITY.get(view.priority, "Medium"),
        "Origin": "Switchboard",
        "Description": public_text(comments),
        "SuppliedEmail": ticket.requester.email,
        "SuppliedName": (ticket.requester.name or ticket.requester.email)[:80],
        URL_FIELD: agent_ticket_url(view.id),
    }
    org = ticket.organization
    if org is not None and org.crm_account_id:
        fields["AccountId"] = org.crm_account_id
    contact = (
        CrmContact.objects.filter(email=ticket.requester.email.lower())
        .values_list("sf_id", flat=True)
        .first()
    )
    if contact:
        fields["ContactId"] = contact
    return {
        "object": case["object"],
        "external_id_field": case["external_id_field"],
        "external_id": str(view.id),
        "fields": fields,
    }


def on_ticket_event(event: TicketEvent) -> None:
    """Listener: queue the case push when a ticket is created or solved (connector on only)."""
    ticket = event.ticket
    if event.kind == EventKind.CREATED:
        moment = "created"
    elif event.changed("status") and ticket.status == TicketStatus.SOLVED:
        # A ticket solved, reopened and solved again pushes again; count the solves.
        moment = f"solved:{event.at.timestamp():.0f}"
    else:
        return
    if not is_configured():
        return
    from switchboard.notify.outbox.queue import queue_record

    mapping = current_mapping()
    payload = case_payload(ticket, mapping)
    queue_record(
        system=f"salesforce: {payload['object']}",
        event=f"crm.case.{moment.split(':')[0]}",
        payload=payload,
        idempotency_key=f"crm.case:{ticket.pk}:{moment}",
        ticket=ticket,
        source="crm:case",
    )


def connector() -> Connector:
    """One connector (one session, one token) per worker process."""
    global _connector
    if _connector is None:
        _connector = Connector()
    return _connector


def send_case(delivery: Delivery) -> Outcome:
    """The "crm" channel's sender: one composite upsert by external id."""
    payload = delivery.payload
    record = {payload["external_id_field"]: payload["external_id"], **payload["fields"]}
    try:
        results = connector().upsert_many(payload["object"], payload["external_id_field"], [record])
    except RateLimited as exc:
        return Outcome(False, 403, str(exc), retry_after=300.0)
    except CrmError as exc:
        return Outcome(False, error=str(exc))
    result = results[0] if isinstance(results, list) and results else {}
    if not result.get("success"):
        errors = "; ".join(
            f"{e.get('statusCode') or e.get('errorCode')}: {e.get('message')}"
            for e in result.get("errors", [])
        )
        # A rejected record (validation rule, missing field) fails the same way next time.
        return Outcome(
            False, 400, f"Salesforce rejected the case: {errors or result}", permanent=True
        )
    if delivery.ticket_id is not None:
        CaseLink.objects.update_or_create(
            ticket_id=delivery.ticket_id,
            defaults={
                "case_id": result["id"],
                "sobject": payload["object"],
                "pushed_at": timezone.now(),
            },
        )
    status = 201 if result.get("created") else 200
    return Outcome(True, status=status)
