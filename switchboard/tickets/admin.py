"""Admin screens for tickets and their parts (agents work in the workspace; this is for admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from switchboard.core.errors import ValidationFailed
from switchboard.tickets.models import (
    Attachment,
    AuditEvent,
    Comment,
    Macro,
    Ticket,
    TicketAudit,
    TicketField,
    TicketTag,
    View,
)


class TagInline(admin.TabularInline):
    model = TicketTag
    extra = 0


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0
    fields = ("author", "public", "channel", "body", "created_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-mostly: changes to tickets go through the actions (audit, SLA, notifications)."""

    list_display = (
        "id",
        "subject",
        "status",
        "priority",
        "requester",
        "organization",
        "assignee",
        "updated_at",
    )
    list_filter = (
        "status",
        "priority",
        "ticket_type",
        "channel",
        "product_line",
        "preferred_region",
        "group",
    )
    search_fields = ("=id", "subject", "requester__email", "organization__name", "external_id")
    list_select_related = ("requester", "organization", "assignee")
    date_hierarchy = "created_at"
    inlines = [TagInline, CommentInline]
    raw_id_fields = (
        "requester",
        "submitter",
        "assignee",
        "organization",
        "follow_up_source",
        "merged_into",
    )
    filter_horizontal = ("ccs",)
    exclude = ("search_vector",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Ticket._meta.fields if f.name != "search_vector"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "author", "public", "channel", "created_at")
    list_filter = ("public", "channel")
    search_fields = ("=ticket__id", "body", "author__email")
    raw_id_fields = ("ticket", "author")
    date_hierarchy = "created_at"


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "ticket", "content_type", "size", "warning", "created_at")
    list_filter = ("content_type",)
    search_fields = ("filename", "=ticket__id", "sha256")
    raw_id_fields = ("ticket", "comment", "uploaded_by")


@admin.register(TicketTag)
class TicketTagAdmin(admin.ModelAdmin):
    list_display = ("name", "ticket")
    search_fields = ("name",)
    raw_id_fields = ("ticket",)


@admin.register(TicketField)
class TicketFieldAdmin(admin.ModelAdmin):
    list_display = ("title", "key", "field_type", "required", "active", "position")
    list_filter = ("field_type", "active", "required")
    search_fields = ("title", "key")
    prepopulated_fields = {"key": ("title",)}


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    readonly_fields = ("kind", "field", "from_value", "to_value", "comment")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketAudit)
class TicketAuditAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "actor", "via", "created_at")
    list_filter = ("via",)
    search_fields = ("=ticket__id", "actor__email")
    raw_id_fields = ("ticket", "actor")
    inlines = [AuditEventInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("audit", "kind", "field", "from_value", "to_value")
    list_filter = ("kind", "field")
    search_fields = ("field", "=audit__ticket__id")
    raw_id_fields = ("audit", "comment")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ("title", "description", "actions", "active", "position", "restricted_to_group")

    def clean_actions(self) -> Any:
        from switchboard.tickets.macros import validate_macro_actions

        actions = self.cleaned_data["actions"]
        try:
            validate_macro_actions(actions)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None
        return actions


class ViewForm(forms.ModelForm):
    class Meta:
        model = View
        fields = (
            "title",
            "conditions",
            "sort_by",
            "sort_order",
            "columns",
            "active",
            "position",
            "owner",
        )

    def clean_conditions(self) -> Any:
        from switchboard.tickets.ticket_views import validate_view_conditions

        conditions = self.cleaned_data["conditions"]
        try:
            validate_view_conditions(conditions)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from None
        return conditions


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroForm
    list_display = ("title", "active", "position", "restricted_to_group", "updated_at")
    list_filter = ("active", "restricted_to_group")
    search_fields = ("title", "description")


@admin.register(View)
class ViewAdmin(admin.ModelAdmin):
    form = ViewForm
    list_display = ("title", "active", "position", "owner", "sort_by", "sort_order")
    list_filter = ("active",)
    search_fields = ("title",)
    raw_id_fields = ("owner",)
