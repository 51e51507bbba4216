"""Writes of the agent workspace that are not ticket changes: reply presence."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from switchboard.accounts.models import User
from switchboard.tickets.models import Ticket
from switchboard.web.models import TicketPresence

# The page renews presence at most every 10 s while the agent types; three missed renewals
# and they are no longer "replying".
PRESENCE_TTL = timedelta(seconds=30)


@transaction.atomic
def note_replying(*, ticket: Ticket, user: User, now: datetime | None = None) -> None:
    """`user` is typing a reply on `ticket` (for the next PRESENCE_TTL)."""
    now = now or timezone.now()
    TicketPresence.objects.filter(ticket=ticket, expires_at__lt=now).delete()
    TicketPresence.objects.update_or_create(
        ticket=ticket,
        user=user,
        defaults={"activity": TicketPresence.Activity.REPLYING, "expires_at": now + PRESENCE_TTL},
    )


def clear_presence(*, ticket: Ticket, user: User) -> None:
    """`user` sent (or abandoned) their reply."""
    TicketPresence.objects.filter(ticket=ticket, user=user).delete()


def _forget(presence: TicketPresence, now: datetime) -> None:
    presence.delete()


def connect() -> None:
    """Expired presence rows are deleted by the sweeper (a reply abandoned without sending)."""
    from switchboard.core.sweeps import register_sweep

    register_sweep(
        "web.presence_expired", model=TicketPresence, due_field="expires_at", handler=_forget
    )
