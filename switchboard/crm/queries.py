"""Reads for the CRM pages (agents): integrity counts, trend and findings in fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from switchboard.core.errors import ValidationFailed
from switchboard.core.paging import page_number
from switchboard.crm.checks import CHECKS, CHECKS_BY_ID, FIX_LABELS
from switchboard.crm.models import IntegrityFinding, IntegrityRun, SyncRun

PER_PAGE = 100
TREND_RUNS = 14


@dataclass
class CheckRow:
    id: str
    title: str
    severity: str
    description: str
    count: int
    trend: list[int]


@dataclass
class IntegrityPage:
    checks: list[CheckRow]
    runs: list[IntegrityRun]
    findings: list[IntegrityFinding]
    selected: str
    total_selected: int
    page: int
    pages: int
    last_sync: SyncRun | None
    fix_labels: dict[str, str]


def integrity_page(*, check: str = "", page: Any = 1) -> IntegrityPage:
    if check and check not in CHECKS_BY_ID:
        raise ValidationFailed(f"check: unknown check {check!r}.", field="check")
    number = page_number(page)  # ?page=abc or 0: the first page
    counts = dict(
        IntegrityFinding.objects.values_list("check_id").annotate(n=Count("pk")).order_by()
    )
    runs = list(IntegrityRun.objects.order_by("-started_at", "-pk")[:TREND_RUNS])
    oldest_first = list(reversed(runs))
    rows = [
        CheckRow(
            c.id,
            c.title,
            c.severity,
            c.description,
            counts.get(c.id, 0),
            [r.counts.get(c.id, 0) for r in oldest_first],
        )
        for c in CHECKS
    ]
    findings_qs = IntegrityFinding.objects.select_related("organization").order_by(
        "check_id", "subject", "pk"
    )
    if check:
        findings_qs = findings_qs.filter(check_id=check)
    total = sum(counts.values()) if not check else counts.get(check, 0)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    number = min(number, pages)
    findings = list(findings_qs[(number - 1) * PER_PAGE : number * PER_PAGE])
    return IntegrityPage(
        checks=rows,
        runs=oldest_first,
        findings=findings,
        selected=check,
        total_selected=total,
        page=number,
        pages=pages,
        last_sync=SyncRun.objects.order_by("-started_at", "-pk").first(),
        fix_labels=FIX_LABELS,
    )
