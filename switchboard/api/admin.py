"""Admin for the API's rate-limit counters and job statuses (read-only: requests write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.api.models import JobStatus, RateBucket


@admin.register(RateBucket)
class RateBucketAdmin(admin.ModelAdmin):
    list_display = ("key", "window", "count", "expires_at")
    search_fields = ("key",)
    readonly_fields = ("key", "window", "count", "expires_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(JobStatus)
class JobStatusAdmin(admin.ModelAdmin):
    """Read-only: the job statuses record what API requests did."""

    list_display = ("id", "kind", "owner", "status", "total", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("=id", "owner__email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
