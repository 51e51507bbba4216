"""Admin for calls: event types (editable data), agents' call settings, organizations' call
policies; booking links, calls and feeds are read-only history (tokens are never shown)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.calls.models import (
    AgentCallSettings,
    BookingLink,
    Call,
    CallFeedToken,
    CallSuggestion,
    EventType,
    OrganizationCallPolicy,
)
from switchboard.core.admin import FeedTokenAdmin


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "priority_or_implementation_only",
        "shown_on_team_calendar",
        "active",
        "position",
    ]
    list_editable = ["active", "position"]
    prepopulated_fields = {"slug": ["title"]}

    @admin.display(boolean=True, description="On the Support calendar")
    def shown_on_team_calendar(self, obj: EventType) -> bool:
        return obj.shows_on_team_calendar


@admin.register(AgentCallSettings)
class AgentCallSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "meeting_provider", "meeting_url", "busy_refreshed_at", "busy_error"]
    autocomplete_fields = ["user"]
    readonly_fields = ["busy_refreshed_at", "busy_error"]
    exclude = ["busy"]


@admin.register(OrganizationCallPolicy)
class OrganizationCallPolicyAdmin(admin.ModelAdmin):
    list_display = ["organization", "implementation_support", "required_provider"]
    autocomplete_fields = ["organization"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BookingLink)
class BookingLinkAdmin(ReadOnly):
    list_display = [
        "pk",
        "ticket",
        "event_type",
        "agent",
        "group",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]
    list_select_related = ["ticket", "event_type", "agent", "group"]


@admin.register(Call)
class CallAdmin(ReadOnly):
    list_display = ["pk", "ticket", "event_type", "agent", "start", "status", "sequence"]
    list_filter = ["status", "event_type"]
    list_select_related = ["ticket", "event_type", "agent"]
    date_hierarchy = "start"


@admin.register(CallFeedToken)
class CallFeedTokenAdmin(FeedTokenAdmin):
    list_display = ("user", "kind", "created_at")


@admin.register(CallSuggestion)
class CallSuggestionAdmin(ReadOnly):
    list_display = ["ticket", "reasons", "updated_at", "dismissed_at"]
