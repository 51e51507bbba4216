"""Admin for triggers and time rules: ordering, activate/deactivate, the firing logs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from switchboard.core.rule_editor import RuleEditorAdmin
from switchboard.notify.rules.editor import rule_actions, trigger_conditions
from switchboard.notify.rules.models import (
    RuleEvent,
    TimeRule,
    TimeRuleFiring,
    Trigger,
    TriggerFiring,
)
from switchboard.tickets.models import Ticket

# Conditions and actions are edited as rows (core/rule_editor.py); JSON stays the advanced option.
RULE_EDITORS = {
    "conditions_all": (trigger_conditions, "Tickets must meet all of these conditions"),
    "conditions_any": (trigger_conditions, "Tickets can meet any of these conditions"),
    "actions": (rule_actions, "Actions"),
}


@admin.action(description="Activate the selected rules")
def activate(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    count = queryset.update(is_active=True)
    messages.success(request, f"Activated {count} rule(s).")


@admin.action(description="Deactivate the selected rules")
def deactivate(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    count = queryset.update(is_active=False)
    messages.success(request, f"Deactivated {count} rule(s).")


class ReadOnlyLog(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def preview_rows(trigger: Trigger, ticket_id: int) -> tuple[bool, list[tuple[str, str, bool]]]:
    """Whether `trigger` matches ticket `ticket_id` as it is now, and each condition's result.

    Read-only: nothing fires. "changed" operators are false (there is no change to look at) and
    SLA fields are empty (no SLA event)."""
    from switchboard.notify.rules import conditions, triggers

    ticket = triggers.load_ticket(ticket_id)
    facts = triggers.snapshot(ticket)
    rows = [
        (group, f"{c['field']} {c['operator']} {c.get('value', '')!r}", held)
        for group, c, held in conditions.explain(
            trigger.conditions_all, trigger.conditions_any, facts
        )
    ]
    return conditions.matches(trigger.conditions_all, trigger.conditions_any, facts), rows


class TriggerForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=RuleEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The trigger runs on these events.",
    )

    class Meta:
        model = Trigger
        fields = (
            "title",
            "description",
            "position",
            "is_active",
            "events",
            "conditions_all",
            "conditions_any",
            "actions",
        )


@admin.register(Trigger)
class TriggerAdmin(RuleEditorAdmin, admin.ModelAdmin):
    form = TriggerForm
    rule_editors = RULE_EDITORS
    list_display = ("title", "position", "is_active", "events", "updated_at")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "description")
    ordering = ("position", "pk")
    actions = [activate, deactivate]
    readonly_fields = ("shipped_key", "test_link", "created_at", "updated_at")

    @admin.display(description="Preview")
    def test_link(self, obj: Trigger) -> str:
        if obj.pk is None:
            return "Save the trigger first."
        return format_html('<a href="{}">Test against a ticket</a>', "../test/")

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "<int:trigger_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="notify_trigger_test",
            )
        ]
        return urls + super().get_urls()

    def test_view(self, request: HttpRequest, trigger_id: int) -> HttpResponse:
        trigger = Trigger.objects.filter(pk=trigger_id).first()
        if trigger is None or not self.has_view_permission(request, trigger):
            return HttpResponse("No such trigger.", status=404, content_type="text/plain")
        raw = (request.GET.get("ticket") or "").strip().lstrip("#")
        result = format_html("<p>{}</p>", "Enter a ticket number.")
        if raw:
            if not raw.isdigit() or not Ticket.objects.filter(pk=int(raw)).exists():
                result = format_html("<p>No ticket #{}.</p>", raw)
            else:
                matched, rows = preview_rows(trigger, int(raw))
                items = format_html_join(
                    "",
                    "<li>[{}] {} — {}</li>",
                    ((g, text, "holds" if held else "does not hold") for g, text, held in rows),
                )
                verdict = "would fire" if matched else "would not fire"
                result = format_html(
                    "<p><strong>Ticket #{}: {} {}</strong> (as the ticket is now; "
                    "nothing is sent).</p><ul>{}</ul>",
                    raw,
                    trigger.title,
                    verdict,
                    items,
                )
        page = format_html(
            "<!doctype html><title>Test trigger</title><h1>Test “{}” against a ticket</h1>"
            '<form method="get"><label>Ticket # <input name="ticket" value="{}"></label> '
            '<button>Test</button></form>{}<p><a href="../change/">Back to the trigger</a></p>',
            trigger.title,
            raw,
            result,
        )
        return HttpResponse(page)


@admin.register(TimeRule)
class TimeRuleAdmin(RuleEditorAdmin, admin.ModelAdmin):
    rule_editors = RULE_EDITORS
    list_display = ("title", "kind", "amount", "position", "is_active", "updated_at")
    list_editable = ("position", "is_active", "amount")
    list_filter = ("is_active", "kind")
    search_fields = ("title", "description")
    ordering = ("position", "pk")
    actions = [activate, deactivate]
    readonly_fields = ("shipped_key", "created_at", "updated_at")


@admin.register(TriggerFiring)
class TriggerFiringAdmin(ReadOnlyLog):
    list_display = ("fired_at", "trigger", "ticket", "event", "event_key")
    list_filter = ("event", "trigger")
    search_fields = ("=ticket__id", "event_key")
    list_select_related = ("trigger", "ticket")
    raw_id_fields = ("ticket",)


@admin.register(TimeRuleFiring)
class TimeRuleFiringAdmin(ReadOnlyLog):
    list_display = ("fired_at", "rule", "ticket", "instance_key")
    list_filter = ("rule",)
    search_fields = ("=ticket__id", "instance_key")
    list_select_related = ("rule", "ticket")
    raw_id_fields = ("ticket",)
