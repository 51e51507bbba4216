"""Admin for on-call: schedules with layers and overrides, policies with levels, services,
incidents with their log and notifications (read-only history)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from switchboard.core.admin import FeedTokenAdmin
from switchboard.oncall import actions
from switchboard.oncall.admin_forms import LayerForm, LevelForm
from switchboard.oncall.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    IncidentLogEntry,
    Notification,
    OnCallSchedule,
    ScheduleLayer,
    ScheduleOverride,
    Service,
    UserCalendarFeed,
)


class LayerInline(admin.StackedInline):
    model = ScheduleLayer
    form = LayerForm
    extra = 0
    help_text = "To change a running layer from now on, use the 'edit_layer' action (API/shell)."


class OverrideInline(admin.TabularInline):
    model = ScheduleOverride
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(OnCallSchedule)
class OnCallScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]
    search_fields = ["name"]
    exclude = ["ical_token_hash"]
    inlines = [LayerInline, OverrideInline]
    actions = ["rotate_feed_token"]

    @admin.action(description="Rotate the calendar feed URL (shows the new one once)")
    def rotate_feed_token(self, request: HttpRequest, queryset: QuerySet[OnCallSchedule]) -> None:
        for schedule in queryset:
            token = actions.rotate_schedule_feed_token(schedule=schedule)
            messages.info(request, f"{schedule.name}: /oncall/calendar/schedule/{token}.ics")


class LevelInline(admin.TabularInline):
    model = EscalationLevel
    form = LevelForm
    extra = 0
    filter_horizontal = ["users", "schedules"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "num_loops"]
    search_fields = ["name"]
    inlines = [LevelInline]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "escalation_policy", "chat_alert", "scheduling_only"]
    list_filter = ["scheduling_only", "chat_alert"]
    search_fields = ["name"]


class LogInline(admin.TabularInline):
    model = IncidentLogEntry
    extra = 0
    can_delete = False
    readonly_fields = ["at", "kind", "message", "user", "level", "loop", "data"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    readonly_fields = [
        "channel",
        "address",
        "user",
        "status",
        "level",
        "loop",
        "attempts",
        "sent_at",
        "last_error",
        "idempotency_key",
    ]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class IncidentAddForm(forms.ModelForm):
    """Open an incident by hand: what `trigger_incident` needs, nothing else. Only services that
    can page (not scheduling-only, with an escalation policy) are offered."""

    dedup_key = forms.CharField(
        required=False,
        max_length=255,
        help_text="Optional. An open incident on the service with this key is returned instead "
        "of a new one.",
    )

    class Meta:
        model = Incident
        fields = ["service", "summary", "severity", "dedup_key"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            scheduling_only=False, escalation_policy__isnull=False
        ).order_by("name")
        self.fields["summary"].widget = forms.TextInput(attrs={"size": 80})


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["pk", "summary", "service", "status", "created_at", "next_escalation_at"]
    list_filter = ["status", "service"]
    search_fields = ["summary", "dedup_key"]
    inlines = [LogInline, NotificationInline]
    readonly_fields = [f.name for f in Incident._meta.fields]
    actions = ["acknowledge", "resolve"]

    # Adding goes through trigger_incident (frozen policy, first page, log entry), never a bare
    # row: the history stays read-only, and an incident without a service or policy cannot exist.
    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = IncidentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return IncidentAddForm.Meta.fields
        return super().get_fields(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [] if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        if change:  # every field is read-only on an existing incident
            return
        incident, created = actions.trigger_incident(
            service=form.cleaned_data["service"],
            summary=form.cleaned_data["summary"],
            severity=form.cleaned_data["severity"],
            dedup_key=form.cleaned_data.get("dedup_key") or None,
            source=f"admin: {request.user}",
            origin="web",
        )
        obj.pk = incident.pk
        obj.refresh_from_db()
        if not created:
            self.message_user(
                request,
                f"An open incident with this dedup key already exists on {incident.service}; "
                "no new incident was opened.",
                messages.WARNING,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Acknowledge")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        for incident in queryset:
            actions.acknowledge_incident(incident=incident, user=request.user)  # type: ignore[arg-type]

    @admin.action(description="Resolve")
    def resolve(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        for incident in queryset:
            actions.resolve_incident(incident=incident, user=request.user)  # type: ignore[arg-type]


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["user", "channel", "address"]
    autocomplete_fields = ["user"]


# Stand-alone lists of the parts shown inline above, so each can be searched and filtered
# across schedules, policies and incidents.


@admin.register(ScheduleLayer)
class ScheduleLayerAdmin(admin.ModelAdmin):
    form = LayerForm
    list_display = ("schedule", "position", "name", "turn_length", "start", "end")
    list_filter = ("schedule",)
    search_fields = ("name", "schedule__name")


@admin.register(ScheduleOverride)
class ScheduleOverrideAdmin(admin.ModelAdmin):
    list_display = ("schedule", "user", "start", "end", "created_at")
    list_filter = ("schedule",)
    search_fields = ("schedule__name", "user__email")
    raw_id_fields = ("user",)


@admin.register(UserCalendarFeed)
class UserCalendarFeedAdmin(FeedTokenAdmin):
    pass


@admin.register(EscalationLevel)
class EscalationLevelAdmin(admin.ModelAdmin):
    form = LevelForm
    list_display = ("policy", "position", "delay_minutes")
    list_filter = ("policy",)
    search_fields = ("policy__name",)


@admin.register(IncidentLogEntry)
class IncidentLogEntryAdmin(admin.ModelAdmin):
    list_display = ("incident", "at", "kind", "level", "loop", "user")
    list_filter = ("kind",)
    search_fields = ("message", "=incident__id")
    raw_id_fields = ("incident", "user")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("incident", "user", "channel", "status", "attempts", "created_at", "sent_at")
    list_filter = ("channel", "status")
    search_fields = ("idempotency_key", "address", "user__email", "=incident__id")
    raw_id_fields = ("incident", "user")
