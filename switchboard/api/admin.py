"""Admin for the API's rate-limit counters (read-only: requests write them)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from switchboard.api.models import RateBucket


@admin.register(RateBucket)
class RateBucketAdmin(admin.ModelAdmin):
    list_display = ("key", "window", "count")
    search_fields = ("key",)
    readonly_fields = ("key", "window", "count")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
