"""Secret tokens of booking links and feeds, signed manage links, and the public URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing

if TYPE_CHECKING:
    from switchboard.accounts.models import User
    from switchboard.tickets.models import Ticket

MANAGE_SALT = "switchboard.calls.manage-link"


def _base() -> str:
    return str(settings.SWITCHBOARD_BASE_URL).rstrip("/")


def booking_url(token: str) -> str:
    return f"{_base()}/book/{token}"


def sign_manage(call_id: int, uid: str) -> str:
    """The invitee's reschedule/cancel link token: bound to the call and its UID, unforgeable."""
    return signing.dumps({"c": call_id, "u": uid}, salt=MANAGE_SALT)


def read_manage(token: str) -> dict[str, Any] | None:
    try:
        data = signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        return None
    return data


def manage_url(call_id: int, uid: str) -> str:
    return f"{_base()}/book/manage/{sign_manage(call_id, uid)}"


def mint_for_macro(ticket: Ticket, agent: User, options: dict[str, Any]) -> str:
    """`{{current_user.booking_link}}`: a link with the agent applying the macro, for the call
    type they chose next to the macro (`options["call_type"]`, an event type's id or slug), else
    the first active event type the ticket's organization may book."""
    from switchboard.calls import actions
    from switchboard.calls.models import EventType
    from switchboard.core.errors import ValidationFailed

    choice = str(options.get("call_type") or "").strip()
    if choice:
        query = EventType.objects.filter(active=True)
        query = query.filter(pk=int(choice)) if choice.isdigit() else query.filter(slug=choice)
        event_type = query.first()
        if event_type is None:
            raise ValidationFailed(f"call_type: no active call type {choice!r}.", field="call_type")
    else:
        allowed = [
            e
            for e in EventType.objects.filter(active=True).order_by("position", "pk")
            if actions.organization_allows(e, ticket)
        ]
        if not allowed:
            raise ValidationFailed("No active call type: an admin must add one.", field="body")
        event_type = allowed[0]
    _link, url = actions.mint_booking_link(
        actor=agent, ticket=ticket, event_type=event_type, agent=agent
    )
    return url
