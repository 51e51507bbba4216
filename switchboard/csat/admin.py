"""CSAT in the admin: ratings and review tasks are the customer's and the reviewer's record, so
they are read-only here; ratings change through the rating page and the API, tasks on
/csat/tasks/. The weekly summary is derived (rebuild it with `manage.py csat_rebuild_summary`)."""

from __future__ import annotations

from django.contrib import admin

from switchboard.core.admin import ReadOnlyAdmin
from switchboard.csat.models import ReviewTask, SatisfactionRating, WeeklySummary


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(ReadOnlyAdmin):
    list_display = ("id", "ticket_id", "score", "reason_code", "kind", "offered_at", "rated_at")
    list_filter = ("score", "kind", "reason_code", "support_level", "region", "channel")
    search_fields = ("comment", "ticket__subject", "requester__email")
    list_select_related = ("ticket", "requester")
    exclude = ("token_hash",)


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    list_display = ("id", "ticket_id", "assignee", "status", "due_at", "done_at")
    list_filter = ("status",)
    search_fields = ("ticket__subject", "resolution")
    list_select_related = ("assignee",)


@admin.register(WeeklySummary)
class WeeklySummaryAdmin(ReadOnlyAdmin):
    list_display = ("week", "dimension", "item", "ratings", "eligible", "offered", "good", "bad")
    list_filter = ("dimension",)
    search_fields = ("item",)
    ordering = ("-week", "dimension", "item")
