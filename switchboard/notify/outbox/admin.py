"""Admin for endpoints (webhooks, chat channels) and the delivery log (read-only, redeliver)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from switchboard.core.errors import SwitchboardError
from switchboard.notify.outbox import endpoints as actions_endpoints
from switchboard.notify.outbox import signing
from switchboard.notify.outbox.models import Delivery, DeliveryAttempt, Endpoint
from switchboard.notify.outbox.queue import EVENTS


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EVENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only these events; none checked = every event.",
    )

    class Meta:
        model = Endpoint
        fields = ["name", "kind", "url", "events", "is_active"]

    def clean_name(self) -> str:
        name = " ".join((self.cleaned_data.get("name") or "").split())
        others = Endpoint.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"An endpoint named {name!r} already exists.")
        return name

    def clean_url(self) -> str:
        try:
            return actions_endpoints.validate_url(self.cleaned_data.get("url", ""))
        except SwitchboardError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["name", "kind", "url", "event_filter", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "url"]
    actions = ["rotate_secret", "send_test_event"]

    @admin.display(description="Events")
    def event_filter(self, obj: Endpoint) -> str:
        return ", ".join(obj.events) if obj.events else "all"

    def save_model(self, request: HttpRequest, obj: Endpoint, form: Any, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "kind": data["kind"],
            "url": data["url"],
            "events": list(data.get("events") or []),
            "is_active": data.get("is_active", False),
        }
        if change:
            actions_endpoints.update_endpoint(actor=request.user, endpoint=obj, **fields)
            return
        created = actions_endpoints.create_endpoint(actor=request.user, **fields)
        obj.pk = created.pk
        obj.secret = created.secret
        obj.created_at = created.created_at
        self.message_user(
            request,
            format_html(
                "Signing secret for {}: <code>{}</code> — copy it now; it is shown only once "
                "(use “rotate secret” for a new one).",
                created.name,
                signing.endpoint_secret(created),
            ),
            messages.WARNING,
        )

    @admin.action(description="Rotate signing secret (shows the new one)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            secret = actions_endpoints.rotate_secret(endpoint, actor=request.user)
            self.message_user(
                request,
                format_html(
                    "New signing secret for {}: <code>{}</code> — copy it now. The old one "
                    "also signs (a second signature) for {} hours, until your receiver uses "
                    "the new one.",
                    endpoint.name,
                    secret,
                    f"{signing.rotation_overlap().total_seconds() / 3600:g}",
                ),
                messages.WARNING,
            )

    @admin.action(description="Send test event")
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            try:
                delivery = actions_endpoints.send_test_event(endpoint, actor=request.user)
            except SwitchboardError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"Test event queued to {endpoint.name} (delivery {delivery.pk})."
                )


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "at", "ok", "response_status", "duration_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "channel",
        "event",
        "recipient",
        "ticket_id",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "channel", "event"]
    search_fields = ["recipient", "idempotency_key", "source"]  # and a ticket number
    date_hierarchy = "created_at"
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver"]
    readonly_fields = [
        "channel",
        "endpoint",
        "recipient",
        "event",
        "ticket",
        "source",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "last_error",
        "dead_reason",
        "created_at",
        "delivered_at",
        "payload",
    ]
    list_select_related = ["endpoint"]

    @admin.display(description="Last error")
    def short_error(self, obj: Delivery) -> str:
        text = obj.dead_reason or obj.last_error
        return text if len(text) <= 80 else text[:79] + "…"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Delivery], search_term: str
    ) -> tuple[QuerySet[Delivery], bool]:
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip().lstrip("#")
        if term.isdigit():  # a ticket number ("123" or "#123")
            results = results | queryset.filter(ticket_id=int(term))
        return results, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver (same idempotency key)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for delivery in queryset:
            try:
                actions_endpoints.redeliver(delivery, actor=request.user)
            except SwitchboardError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} deliveries queued again.")


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    """Every try across deliveries: which receivers are failing, and how."""

    list_display = ["delivery", "number", "at", "ok", "response_status", "duration_ms", "error"]
    list_filter = ["ok", "delivery__channel", "response_status"]
    search_fields = ["delivery__recipient", "delivery__idempotency_key", "error"]
    date_hierarchy = "at"
    list_select_related = ["delivery"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
