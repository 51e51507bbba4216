"""Admin for CRM: the field mapping (validated JSON), the sync preview (dry run, field by field),
sync runs, the CRM account mirror and the integrity findings (read-only)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from switchboard.core.admin import ReadOnlyAdmin as ReadOnly
from switchboard.crm import mapping as mapping_rules
from switchboard.crm.connector import CrmError
from switchboard.crm.models import (
    CaseLink,
    CrmAccount,
    CrmContact,
    CrmSettings,
    IntegrityFinding,
    IntegrityRun,
    SyncRun,
    SyncState,
)
from switchboard.crm.runner import SyncBusy, run_sync


class MappingForm(forms.ModelForm):
    class Meta:
        model = CrmSettings
        fields = ["mapping"]
        widgets = {"mapping": forms.Textarea(attrs={"rows": 40, "cols": 100})}

    def clean_mapping(self) -> Any:
        value = self.cleaned_data["mapping"]
        try:
            mapping_rules.validate(value)
        except mapping_rules.InvalidMapping as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


@admin.register(CrmSettings)
class CrmSettingsAdmin(admin.ModelAdmin):
    form = MappingForm
    list_display = ("__str__", "updated_at", "preview_link")
    readonly_fields = ("help", "preview_link")

    @admin.display(description="Field mapping")
    def help(self, obj: CrmSettings) -> str:
        return format_html(
            "<p>Targets: {}.<br>Choice targets (support_level, product_line) need a "
            "<code>values</code> map; an unknown Salesforce value is flagged, never defaulted. "
            "See docs/crm.md.</p>",
            ", ".join(mapping_rules.TARGETS),
        )

    @admin.display(description="Sync preview")
    def preview_link(self, obj: CrmSettings | None = None) -> str:
        return format_html(
            '<a href="{}">Preview a sync (dry run)</a>', reverse("admin:crm_sync_preview")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CrmSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        CrmSettings.objects.get_or_create(pk=1)
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[Any]:
        urls = [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="crm_sync_preview",
            )
        ]
        return urls + super().get_urls()

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """GET: the form. POST: a dry-run sync, shown create / update field by field / flag."""
        if not self.has_view_permission(request):
            return HttpResponse("Not allowed.", status=403, content_type="text/plain")
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "CRM sync preview (dry run)",
            "plan": None,
            "error": "",
            "full": False,
        }
        if request.method == "POST":
            full = request.POST.get("kind") == "full"
            context["full"] = full
            try:
                result = run_sync(full=full, dry_run=True, trigger="admin preview")
            except (CrmError, SyncBusy) as exc:
                context["error"] = str(exc)
            else:
                context["plan"] = result.plan
                context["counts"] = sorted(result.plan.counts.items())
        return TemplateResponse(request, "admin/crm/sync_preview.html", context)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnly):
    list_display = ("started_at", "kind", "status", "dry_run", "source", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = (
        "kind",
        "source",
        "dry_run",
        "started_at",
        "finished_at",
        "status",
        "counts_text",
        "error",
    )
    exclude = ("counts",)

    @admin.display(description="Counts")
    def counts_text(self, obj: SyncRun) -> str:
        return json.dumps(obj.counts, indent=2, sort_keys=True)


@admin.register(CrmAccount)
class CrmAccountAdmin(ReadOnly):
    list_display = (
        "name",
        "sf_id",
        "account_type",
        "support_level_raw",
        "product_line",
        "is_deleted",
        "synced_at",
    )
    list_filter = ("is_customer", "is_deleted", "support_level", "product_line")
    search_fields = ("name", "sf_id", "domain_raw", "tam_email")


@admin.register(IntegrityFinding)
class IntegrityFindingAdmin(ReadOnly):
    list_display = ("check_id", "severity", "subject", "crm_account_id", "fix", "found_at")
    list_filter = ("check_id", "severity")
    search_fields = ("subject", "crm_account_id", "detail")


@admin.register(IntegrityRun)
class IntegrityRunAdmin(ReadOnly):
    list_display = ("started_at", "trigger", "counts", "duration_ms")


@admin.register(SyncState)
class SyncStateAdmin(ReadOnly):
    list_display = ("name", "account_watermark", "next_run_at", "last_success_at", "failures")


@admin.register(CrmContact)
class CrmContactAdmin(ReadOnly):
    list_display = ("email", "sf_id", "account_id", "user", "synced_at")
    search_fields = ("email", "sf_id", "account_id")
    list_select_related = ("user",)


@admin.register(CaseLink)
class CaseLinkAdmin(ReadOnly):
    list_display = ("ticket_id", "sobject", "case_id", "pushed_at")
    search_fields = ("case_id",)
