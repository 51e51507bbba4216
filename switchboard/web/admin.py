"""Admin for the workspace's presence rows (read-only: the reply box writes them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.web.models import TicketPresence


@admin.register(TicketPresence)
class TicketPresenceAdmin(admin.ModelAdmin):
    list_display = ("ticket", "user", "activity", "expires_at")
    list_select_related = ("ticket", "user")
    search_fields = ("=ticket__id", "user__email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
