"""Files that come with a message: stored on its comment inside the action, before the ticket
event fires, so listeners (triggers, webhooks, the SLA engine) see them with the comment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files import File
from django.db import transaction

from switchboard.accounts.access import Actor
from switchboard.core.errors import SwitchboardError
from switchboard.tickets.attachments import store_attachment
from switchboard.tickets.models import Attachment, Comment, Ticket, TicketAudit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewFile:
    """One file as it arrived (an upload, or a part of an email)."""

    filename: str
    content: bytes | File


@dataclass
class Posted:
    """A message written with its files: the comment, the attachments stored on it, and (when
    the caller chose to keep going) the files refused, as "filename: reason"."""

    comment: Comment
    attachments: list[Attachment] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # The audit the action wrote, its events in hand (`audit.events.all()` reads no rows).
    audit: TicketAudit | None = None

    @property
    def ticket(self) -> Ticket:
        return self.comment.ticket


def attach_files(
    posted: Posted, *, uploaded_by: Actor, files: Sequence[NewFile], keep_going: bool
) -> Posted:
    """Store `files` on `posted.comment`. A refused file (empty, too large) fails the whole
    action unless `keep_going` (email intake: the message is kept, the refusal is noted)."""
    for new in files:
        try:
            with transaction.atomic():
                stored = store_attachment(
                    ticket=posted.comment.ticket,
                    uploaded_by=uploaded_by,
                    filename=new.filename,
                    content=new.content,
                    comment=posted.comment,
                )
        except SwitchboardError as exc:
            if not keep_going:
                raise
            log.info("attachment %r not stored: %s", new.filename, exc)
            posted.refused.append(f"{new.filename}: {exc.message}")
            continue
        posted.attachments.append(stored)
    _as_prefetched(posted.comment, posted.attachments)
    return posted


def _as_prefetched(comment: Comment, attachments: list[Attachment]) -> None:
    """Hand listeners the new comment's attachments as if prefetched, so reading
    `comment.attachments.all()` in the same request costs no query."""
    rows = comment.attachments.all()  # lazy: no query
    rows._result_cache = list(attachments)
    rows._prefetch_done = True
    cache = getattr(comment, "_prefetched_objects_cache", {})
    comment._prefetched_objects_cache = {**cache, "attachments": rows}
