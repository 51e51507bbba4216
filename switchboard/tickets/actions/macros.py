"""Applying a macro to a ticket."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from switchboard.accounts import access
from switchboard.accounts.models import User
from switchboard.core.errors import PermissionDenied
from switchboard.tickets.actions.comments import add_comment
from switchboard.tickets.actions.update import update_ticket
from switchboard.tickets.models import Macro, Ticket


@transaction.atomic
def apply_macro(
    *,
    ticket: Ticket,
    macro: Macro,
    actor: User,
    options: dict[str, Any] | None = None,
    assign_on_reply: bool = False,
    keep_status: bool = False,
) -> Ticket:
    """Apply a macro: its field changes and its rendered comment, as one audited change.

    `options` go to deferred placeholders (the booking link's call type); `assign_on_reply` and
    `keep_status` as for add_comment."""
    from switchboard.tickets.macros import expand_deferred, plan_macro

    if not access.is_agent(actor):
        raise PermissionDenied("Only agents can apply macros.")
    plan = plan_macro(macro=macro, ticket=ticket, actor=actor)
    if plan.comment_body:
        add_comment(
            ticket=ticket,
            author=actor,
            body=expand_deferred(plan.comment_body, ticket=ticket, actor=actor, options=options),
            public=plan.comment_public,
            changes=plan.changes or None,
            metadata={"macro_id": macro.pk},
            assign_on_reply=assign_on_reply,
            keep_status=keep_status,
        )
    elif plan.changes:
        update_ticket(ticket=ticket, actor=actor, keep_status=keep_status, **plan.changes)
    return Ticket.objects.get(pk=ticket.pk)
