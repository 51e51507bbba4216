"""Admin for the core tables, and the one read-only base the apps use for their records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.core.models import ConfigGeneration, Timer, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record: shown, never added, edited or deleted in the admin (actions write it, audited)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FeedTokenAdmin(admin.ModelAdmin):
    """A calendar-feed token (core.models.FeedToken): who has a feed and since when. Never added
    or edited here (only the owner's rotate action issues a token, and only its hash is kept);
    deleting the row revokes the feed."""

    list_display: tuple[str, ...] = ("user", "created_at")
    search_fields = ("user__email",)
    exclude = ("token_hash",)
    raw_id_fields = ("user",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen", "jobs_run")
    search_fields = ("worker_id", "hostname")
    list_filter = ("hostname",)
    readonly_fields = [f.name for f in WorkerHeartbeat._meta.fields]


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "due_at", "fired_at", "attempts")
    search_fields = ("kind", "key")
    list_filter = ("kind", ("fired_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"


@admin.register(ConfigGeneration)
class ConfigGenerationAdmin(ReadOnlyAdmin):
    """Which generation of each cached configuration namespace the processes should hold."""

    list_display = ("name", "token")
    search_fields = ("name",)
