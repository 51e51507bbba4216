"""The ticket page's subject, type and requester edits: read from the properties form as
compare-and-set changes (against the values the page was rendered with), like the other
properties; a form without them (an older page) leaves them alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.accounts.models import Role, User
from switchboard.tickets.actions.ccs import person_for_email
from switchboard.tickets.models import Ticket, TicketType


@dataclass
class Edits:
    changes: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    requester_email: str = ""  # the requester typed, when it is not the one rendered
    original_requester: int | None = None


def edited_fields(post: Any, data: dict[str, Any]) -> Edits:
    """Subject and type the agent changed (with the values they saw), and a requester typed."""
    edits = Edits()
    if {"subject", "original_subject"} <= set(post) and data["subject"] != data["original_subject"]:
        edits.changes["subject"] = data["subject"]
        edits.expected["subject"] = data["original_subject"]
    sent_type = {"ticket_type", "original_ticket_type"} <= set(post)
    if sent_type and data["ticket_type"] != data["original_ticket_type"]:
        edits.changes["ticket_type"] = data["ticket_type"]
        edits.expected["ticket_type"] = data["original_ticket_type"]
    if "original_requester" in post and (data["requester"] or "").strip():
        edits.requester_email = data["requester"].strip().lower()
        edits.original_requester = data["original_requester"]
    return edits


def resolve_requester(
    actor: Any, edits: Edits, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    """The typed requester as a user (a new address becomes an end-user, placed in the
    organization of its domain), added to `changes` if it is not the one the page showed; the
    ticket's organization follows the requester. Runs inside the update's transaction."""
    if not edits.requester_email:
        return
    shown = User.objects.filter(pk=edits.original_requester).only("email").first()
    if shown is not None and shown.email.lower() == edits.requester_email:
        return
    user = person_for_email(actor=actor, email=edits.requester_email, field="requester")
    changes["requester"] = user
    changes["organization"] = user.organization if user.organization_id else None
    expected["requester"] = edits.original_requester


def retry_values(post: Any, data: dict[str, Any], current: Ticket) -> dict[str, Any]:
    """The 409 page's "apply my values anyway" form: the agent's subject, type and requester
    (those their form sent) against the ticket's values now."""
    now = {
        "subject": current.subject,
        "ticket_type": current.ticket_type,
        "requester": current.requester_id,
    }
    values: dict[str, Any] = {}
    for name, value in now.items():
        if name in post and f"original_{name}" in post:
            values[name] = data[name]
            values[f"original_{name}"] = value
    return values


def label(name: str, value: Any, ticket: Ticket) -> str:
    """How the conflict box names a requester (by email) or a type (by its label)."""
    if name == "ticket_type":
        return str(dict(TicketType.choices).get(value, value))
    if value == ticket.requester_id:
        return ticket.requester.email
    email = User.objects.filter(pk=value).values_list("email", flat=True).first()
    return email or f"user {value}"


def requester_choices(query: str, limit: int = 10) -> list[User]:
    """People whose name or email contains `query` (for the requester and CC pickers): end-users
    first, one query."""
    from django.db.models import Case, IntegerField, Q, Value, When

    query = query.strip()
    if len(query) < 2:
        return []
    return list(
        User.objects.filter(Q(email__icontains=query) | Q(name__icontains=query), is_active=True)
        .select_related("organization")
        .annotate(
            agent_last=Case(
                When(role=Role.END_USER, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("agent_last", "name", "email")[:limit]
    )
