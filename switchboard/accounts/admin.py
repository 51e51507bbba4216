"""Admin screens: searchable and filterable. Saves go through the actions so changes are audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from switchboard.accounts import actions
from switchboard.accounts.models import (
    AccountAuditEvent,
    ApiToken,
    Organization,
    OrganizationDomain,
    SupportGroup,
    User,
)


class DomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "support_level",
        "plan",
        "product_line",
        "preferred_region",
        "sharing",
        "account_manager",
        "is_internal",
    )
    list_filter = ("support_level", "product_line", "preferred_region", "sharing", "is_internal")
    search_fields = ("name", "domains__domain", "crm_account_id", "notes")
    autocomplete_fields = ("account_manager",)
    inlines = [DomainInline]
    fieldsets = (
        (None, {"fields": ("name", "support_level", "plan", "product_line", "preferred_region")}),
        ("Access", {"fields": ("sharing", "is_internal")}),
        (
            "Account",
            {"fields": ("account_manager", "notes", "details", "collaboration_project_url")},
        ),
        (
            "CRM",
            {
                "fields": (
                    "crm_account_id",
                    "crm_account_owner",
                    "arr",
                    "seats",
                    "market_segment",
                    "sales_segmentation",
                    "account_type",
                )
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            actions._audit(
                actor=request.user, organization=obj, field="created", old=None, new=obj.name
            )  # type: ignore[arg-type]
            return
        before = actions.snapshot(Organization.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)
        actions.record_changes(actor=request.user, before=before, after=obj, reason="admin")  # type: ignore[arg-type]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "name", "role", "organization", "ticket_access", "region", "is_active")
    list_filter = (
        "role",
        "region",
        "ticket_access",
        "is_sold_to_contact",
        "is_active",
        "support_groups",
    )
    search_fields = ("email", "name", "organization__name")
    autocomplete_fields = ("organization",)
    filter_horizontal = ("support_groups", "groups", "user_permissions")
    readonly_fields = ("last_login", "created_at", "updated_at", "entitlement_verified_at")
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "phone", "role", "is_active")}),
        (
            "Customer",
            {
                "fields": (
                    "organization",
                    "is_sold_to_contact",
                    "ticket_access",
                    "entitlement_verified_at",
                )
            },
        ),
        (
            "Agent",
            {
                "fields": (
                    "time_zone",
                    "region",
                    "working_hours",
                    "support_groups",
                    "is_support_manager",
                )
            },
        ),
        ("Permissions", {"fields": ("is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")},
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        previous = User.objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        if previous is not None:
            actions.record_changes(
                actor=request.user,  # type: ignore[arg-type]
                before=actions.snapshot(previous),
                after=obj,
                reason="admin",
            )


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "description")
    search_fields = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "user__email", "name")
    readonly_fields = ("prefix", "token_hash", "created_at", "last_used_at")
    autocomplete_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued with `manage.py issue_api_token` or the API, shown once


@admin.register(AccountAuditEvent)
class AccountAuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "actor",
        "organization",
        "user",
        "field",
        "old_value",
        "new_value",
    )
    list_filter = ("field",)
    search_fields = ("organization__name", "user__email", "actor__email", "field")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "organization")
    search_fields = ("domain", "organization__name")
    list_filter = ("organization__support_level",)
    autocomplete_fields = ("organization",)
