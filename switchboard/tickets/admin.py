"""Admin screens for tickets and their parts (agents work in the workspace; this is for admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from switchboard.core.admin import ReadOnlyAdmin
from switchboard.core.errors import ValidationFailed
from switchboard.core.rule_editor import RuleEditorAdmin
from switchboard.tickets.actions.lifecycle import delete_ticket
from switchboard.tickets.attachments import redact_attachment, redact_comment
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
from switchboard.tickets.view_editor import view_conditions


class TagInline(admin.TabularInline):
    model = TicketTag
    extra = 0
    readonly_fields = ("name",)
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommentInline(admin.StackedInline):
    model = Comment
    extra = 0
    fields = ("author", "public", "channel", "body", "created_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

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
    exclude = ("search_vector",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Ticket._meta.fields if f.name != "search_vector"] + ["ccs"]

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """Comments and audits are read-only on their own, but go with their ticket."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: Ticket) -> None:
        """Through the action, so the deletion is recorded in the account audit log."""
        delete_ticket(ticket=obj, actor=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for ticket in queryset:
            delete_ticket(ticket=ticket, actor=request.user)  # type: ignore[arg-type]


@admin.action(description="Redact the detected secrets (audited on the ticket)")
def redact_secrets(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any) -> None:
    """The one change the admin makes to a comment or attachment: the workspace's audited
    redaction, for rows the secret scanner flagged."""
    redact = redact_comment if queryset.model is Comment else redact_attachment
    done = 0
    for row in queryset.exclude(secret_findings=[]):
        redact(actor=request.user, **{queryset.model._meta.model_name: row})
        done += 1
    modeladmin.message_user(request, f"Redacted {done} item(s); each is in its ticket's history.")


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """Bodies, authors and public/internal flags are the record: read-only. Secrets are
    redacted with the audited action."""

    list_display = ("id", "ticket", "author", "public", "channel", "created_at", "redacted_at")
    list_filter = ("public", "channel")
    search_fields = ("=ticket__id", "body", "author__email")
    date_hierarchy = "created_at"
    actions = [redact_secrets]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("filename", "ticket", "content_type", "size", "warning", "created_at")
    list_filter = ("content_type",)
    search_fields = ("filename", "=ticket__id", "sha256")
    actions = [redact_secrets]


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
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TicketAudit)
class TicketAuditAdmin(ReadOnlyAdmin):
    list_display = ("id", "ticket", "actor", "via", "created_at")
    list_filter = ("via",)
    search_fields = ("=ticket__id", "actor__email")
    inlines = [AuditEventInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("audit", "kind", "field", "from_value", "to_value")
    list_filter = ("kind", "field")
    search_fields = ("field", "=audit__ticket__id")


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
        from switchboard.tickets.saved_views import validate_view_conditions

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
class ViewAdmin(RuleEditorAdmin, admin.ModelAdmin):
    rule_editors = {"conditions": (view_conditions, "Conditions")}
    form = ViewForm
    list_display = ("title", "active", "position", "owner", "sort_by", "sort_order")
    list_filter = ("active",)
    search_fields = ("title",)
    autocomplete_fields = ("owner",)  # picked by name or email, not typed as an id
