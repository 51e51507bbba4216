"""Admin: the inbound email log (read-only) and the IMAP cursor."""

from __future__ import annotations

from django.contrib import admin

from switchboard.core.admin import ReadOnlyAdmin as _ReadOnly
from switchboard.notify.mail.models import ImapCursor, InboundEmail


@admin.register(InboundEmail)
class InboundEmailAdmin(_ReadOnly):
    list_display = (
        "received_at",
        "source",
        "from_address",
        "subject",
        "outcome",
        "reason",
        "ticket",
        "size",
    )
    list_filter = ("outcome", "source", "is_duplicate")
    search_fields = ("from_address", "subject", "message_id", "reason")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket", "comment", "user")


@admin.register(ImapCursor)
class ImapCursorAdmin(_ReadOnly):
    list_display = (
        "name",
        "mailbox",
        "uidvalidity",
        "last_uid",
        "last_polled_at",
        "next_poll_at",
        "messages_received",
        "last_error",
    )
