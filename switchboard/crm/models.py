"""CRM data: the mapping, the sync's state and runs, the mirror of CRM accounts and contacts,
case links, and integrity findings (DOMAIN.md §8)."""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from switchboard.crm import mapping as mapping_rules


def default_mapping() -> dict[str, Any]:
    return copy.deepcopy(mapping_rules.DEFAULT_MAPPING)


def validate_mapping(value: Any) -> None:
    try:
        mapping_rules.validate(value)
    except mapping_rules.InvalidMapping as exc:
        raise ValidationError(str(exc)) from None


class CrmSettings(models.Model):
    """The one settings row (pk=1): the field mapping, editable in the admin, validated."""

    mapping = models.JSONField(default=default_mapping, validators=[validate_mapping])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM settings"
        verbose_name_plural = "CRM settings"

    def __str__(self) -> str:
        return "CRM field mapping"


class SyncState(models.Model):
    """Where the Salesforce sync stands: watermarks, the next scheduled run and the lease.

    The lease (`lease_owner`, `lease_until`) is taken with one conditional UPDATE, so only one
    worker syncs at a time; watermarks move only after the records below them are committed.
    """

    name = models.CharField(max_length=40, unique=True)
    account_watermark = models.DateTimeField(null=True, blank=True)
    contact_watermark = models.DateTimeField(null=True, blank=True)
    deleted_watermark = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    next_integrity_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_run_at"], name="crm_syncstate_next_run")]

    def __str__(self) -> str:
        return f"sync {self.name}"


class RunKind(models.TextChoices):
    FULL = "full", "Full sync"
    INCREMENTAL = "incremental", "Incremental sync"
    FILE = "file", "File import"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    RATE_LIMITED = "rate_limited", "Rate limited (resumes from the watermark)"


class SyncRun(models.Model):
    """One sync or import: what it did (counts) or why it stopped."""

    kind = models.CharField(max_length=12, choices=RunKind.choices)
    source = models.CharField(max_length=200)
    dry_run = models.BooleanField(default=False)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=14, choices=RunStatus.choices, default=RunStatus.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class CrmAccount(models.Model):
    """The last seen state of a CRM account (any type), for the integrity checks."""

    sf_id = models.CharField("Salesforce id", max_length=18, primary_key=True)
    name = models.CharField(max_length=255, blank=True)
    account_type = models.CharField(max_length=60, blank=True)
    is_customer = models.BooleanField(default=False)
    support_level_raw = models.CharField(max_length=100, blank=True)
    support_level = models.CharField(
        max_length=20, blank=True, help_text="Mapped; empty if unknown."
    )
    product_line = models.CharField(max_length=20, blank=True)
    domain_raw = models.CharField(max_length=500, blank=True)
    tam_email = models.CharField(max_length=254, blank=True)
    flags = models.JSONField(default=list, blank=True)
    is_deleted = models.BooleanField(default=False)
    system_modstamp = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField()
    source = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "CRM account"

    def __str__(self) -> str:
        return f"{self.name} ({self.sf_id})"


class CrmContact(models.Model):
    """A CRM contact of a synced account, and the user it became."""

    sf_id = models.CharField(max_length=18, primary_key=True)
    account_id = models.CharField(max_length=18, db_index=True)
    email = models.CharField(max_length=254, db_index=True)
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_at = models.DateTimeField()

    class Meta:
        verbose_name = "CRM contact"

    def __str__(self) -> str:
        return f"{self.email} ({self.sf_id})"


class CaseLink(models.Model):
    """The CRM case record a ticket was pushed to (set by the case push)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="crm_case"
    )
    case_id = models.CharField(max_length=18)
    sobject = models.CharField(max_length=80, default="Case")
    pushed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} → {self.sobject} {self.case_id}"


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"


class IntegrityRun(models.Model):
    """One run of the integrity checks: counts per check (the page's trend)."""

    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=60)
    counts = models.JSONField(default=dict)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"integrity {self.started_at:%Y-%m-%d %H:%M} ({sum(self.counts.values())} findings)"


class IntegrityFinding(models.Model):
    """One current finding of one check; replaced by each run."""

    check_id = models.CharField(max_length=40)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="crm_findings",
    )
    crm_account_id = models.CharField(max_length=18, blank=True)
    subject = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    fix = models.CharField(max_length=40, blank=True, help_text="The safe one-click fix, if any.")
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["check_id", "subject", "pk"]
        indexes = [
            models.Index(fields=["check_id", "subject"], name="crm_finding_check"),
            models.Index(fields=["organization"], name="crm_finding_org"),
        ]

    def __str__(self) -> str:
        return f"{self.check_id}: {self.subject}"
