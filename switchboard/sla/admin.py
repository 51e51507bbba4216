from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from switchboard.core.admin import ReadOnlyAdmin
from switchboard.core.rule_editor import RuleEditorAdmin
from switchboard.sla.editor import sla_conditions
from switchboard.sla.models import (
    ClockEvent,
    Holiday,
    Policy,
    PolicyTarget,
    Schedule,
    ScheduleInterval,
    TicketClock,
)


class ScheduleIntervalInline(admin.TabularInline):
    model = ScheduleInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "region", "updated_at")
    list_filter = ("region", "time_zone")
    search_fields = ("name", "description")
    inlines = [ScheduleIntervalInline, HolidayInline]


@admin.register(ScheduleInterval)
class ScheduleIntervalAdmin(admin.ModelAdmin):
    list_display = ("schedule", "weekday", "start_minute", "end_minute")
    list_filter = ("schedule", "weekday")
    search_fields = ("schedule__name",)


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("schedule", "date", "name")
    list_filter = ("schedule",)
    search_fields = ("name", "schedule__name")
    date_hierarchy = "date"


class PolicyTargetInline(admin.TabularInline):
    model = PolicyTarget
    extra = 0


@admin.register(Policy)
class PolicyAdmin(RuleEditorAdmin, admin.ModelAdmin):
    rule_editors = {"conditions": (sla_conditions, "Conditions")}
    list_display = ("title", "position", "active", "schedule", "updated_at")
    list_editable = ("position", "active")
    list_filter = ("active", "schedule")
    search_fields = ("title", "description")
    inlines = [PolicyTargetInline]


@admin.register(PolicyTarget)
class PolicyTargetAdmin(admin.ModelAdmin):
    list_display = ("policy", "metric", "priority", "minutes", "business_hours")
    list_filter = ("policy", "metric", "priority", "business_hours")
    search_fields = ("policy__title",)


class ClockEventInline(admin.TabularInline):
    model = ClockEvent
    extra = 0
    readonly_fields = ("kind", "at", "data")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketClock)
class TicketClockAdmin(ReadOnlyAdmin):
    list_display = (
        "ticket",
        "metric",
        "state",
        "priority",
        "target_minutes",
        "business_hours",
        "due_at",
        "breached_at",
        "fulfilled_at",
    )
    list_filter = ("state", "metric", "priority", "business_hours", "policy", "schedule")
    search_fields = ("=ticket__id", "ticket__subject")
    date_hierarchy = "due_at"
    inlines = [ClockEventInline]
    list_select_related = ("ticket",)


@admin.register(ClockEvent)
class ClockEventAdmin(ReadOnlyAdmin):
    list_display = ("clock", "kind", "at")
    list_filter = ("kind",)
    search_fields = ("=clock__ticket__id", "=clock__id")
    date_hierarchy = "at"
