"""Replies and internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from switchboard.accounts import access
from switchboard.accounts.access import SYSTEM, Actor
from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.tickets.actions.audit import Audit
from switchboard.tickets.actions.changes import apply_changes, close_timer, transition_status
from switchboard.tickets.actions.create import follow_up, scan_findings
from switchboard.tickets.actions.fields import choice
from switchboard.tickets.actions.uploads import NewFile, Posted, attach_files
from switchboard.tickets.events import EventKind, TicketEvent, emit
from switchboard.tickets.models import Channel, Comment, Ticket, TicketStatus


@transaction.atomic
def post_comment(
    *,
    ticket: Ticket,
    author: Actor,
    body: str,
    public: bool = True,
    channel: str = Channel.WEB,
    status: str | None = None,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
    changes: dict[str, Any] | None = None,
    keep_status: bool = False,
    assign_on_reply: bool = False,
    files: Sequence[NewFile] = (),
    keep_going: bool = False,
) -> Posted:
    """Add a public reply or internal note with its files; move the status as the rules say.
    The files are stored on the comment before the `commented` event fires, so triggers and
    webhooks see them (`keep_going`: see uploads.attach_files).

    - an agent's first action moves new → open (or to the status they submit with), unless
      they chose to keep the status (`keep_status`, the workspace's "Keep status");
    - `assign_on_reply` (the workspace's replies): an agent's public reply on an unassigned
      ticket assigns it to them, unless SWITCHBOARD_ASSIGN_ON_PUBLIC_REPLY is off;
    - a requester/end-user reply on pending or solved reopens (→ open);
    - closed is final: an end-user reply creates a follow-up ticket, and the comment lands there;
    - end-users never write internal notes, and only comment where access allows.
    """
    now = at or timezone.now()
    body = body or ""
    if not body.strip():
        raise ValidationFailed("body: a comment cannot be blank.", field="body", code="BlankValue")
    if len(body) > 1_000_000:
        raise ValidationFailed("body: at most 1,000,000 characters.", field="body", code="TooLong")
    channel = choice("channel", channel, Channel.values)
    access.require_actor(author)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    agent = access.is_agent(author)
    if not agent:
        access.require(author, ticket, access.Action.COMMENT)
        if not public:
            raise PermissionDenied("Customers cannot add internal notes.")
        if status is not None or changes:
            raise PermissionDenied("Only agents can change the ticket with a reply.")
    if ticket.is_closed:
        if agent:
            raise ValidationFailed(
                f"status: ticket #{ticket.pk} is closed and cannot change; "
                "the requester's next reply opens a follow-up.",
                field="status",
                code="Closed",
            )
        return follow_up(
            source=ticket,
            actor=author,
            body=body,
            channel=channel,
            metadata=metadata,
            at=now,
            files=files,
            keep_going=keep_going,
        )

    comment = Comment.objects.create(
        ticket=ticket,
        author=access.person(author),
        body=body,
        public=public,
        channel=channel,
        metadata=metadata or {},
        secret_findings=scan_findings(body),
        created_at=now,
    )
    audit = Audit(ticket, author, channel, now)
    audit.comment(comment)
    posted = attach_files(Posted(comment), uploaded_by=author, files=files, keep_going=keep_going)
    old_status = ticket.status
    if agent:
        if public and ticket.first_agent_reply_at is None:
            ticket.first_agent_reply_at = now
        if changes:
            apply_changes(ticket, author, changes, audit)
        if (
            assign_on_reply
            and public
            and ticket.assignee_id is None
            and "assignee" not in (changes or {})
            and access.person(author) is not None
            and getattr(settings, "SWITCHBOARD_ASSIGN_ON_PUBLIC_REPLY", True)
        ):
            audit.change("assignee", None, author)
            ticket.assignee = author
        if status is not None:
            transition_status(ticket, author, status, audit, now)
        elif ticket.status == TicketStatus.NEW and not keep_status:
            transition_status(ticket, author, TicketStatus.OPEN, audit, now)
    elif ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        transition_status(ticket, SYSTEM, TicketStatus.OPEN, audit, now)
    ticket.updated_at = now
    ticket.save()
    audit.save()
    close_timer(ticket, old_status)
    emit(TicketEvent(EventKind.COMMENTED, ticket, author, now, dict(audit.changes), comment))
    return posted


def add_comment(**kwargs: Any) -> Comment:
    """post_comment, for callers that need only the comment (same arguments)."""
    return post_comment(**kwargs).comment
