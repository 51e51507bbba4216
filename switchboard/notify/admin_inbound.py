"""Admin: the inbound email log (read-only) and the IMAP cursor."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.notify.models import ImapCursor, InboundEmail


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
