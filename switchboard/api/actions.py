"""Writes of the API layer itself: the job statuses some Zendesk endpoints answer with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from switchboard.accounts.models import User
from switchboard.api.models import JobStatus
from switchboard.tickets.actions.merge import merge_tickets
from switchboard.tickets.models import Channel, Ticket

# How long GET /job_statuses/{id} answers (Zendesk keeps job statuses for about an hour).
JOB_STATUS_TTL = timedelta(days=1)


@transaction.atomic
def merge_tickets_job(
    *,
    actor: User,
    target: Ticket,
    sources: list[Ticket],
    target_comment: str = "",
    source_comment: str = "",
    target_comment_public: bool | None = None,
    source_comment_public: bool | None = None,
) -> JobStatus:
    """Merge now and record the outcome as a completed job status, in one transaction: a merge
    that fails writes neither (the caller answers 4xx)."""
    merge_tickets(
        actor=actor,
        sources=sources,
        target=target,
        target_comment=target_comment,
        source_comment=source_comment,
        target_comment_public=target_comment_public,
        source_comment_public=source_comment_public,
        via=Channel.API,
    )
    now = timezone.now()
    results: list[dict[str, Any]] = [
        {"id": s.pk, "action": "merge", "status": "Merged", "success": True}
        for s in sorted(sources, key=lambda t: t.pk)
    ]
    return JobStatus.objects.create(
        kind="merge",
        owner=actor,
        status=JobStatus.Status.COMPLETED,
        total=len(results),
        progress=len(results),
        message=f"Completed at {now:%Y-%m-%d %H:%M:%S} +0000",
        results=results,
        created_at=now,
        updated_at=now,
        expires_at=now + JOB_STATUS_TTL,
    )


def _forget(job: JobStatus, now: datetime) -> None:
    job.delete()


def connect() -> None:
    """Expired job statuses are deleted by the sweeper."""
    from switchboard.core.sweeps import register_sweep

    register_sweep(
        "api.job_status_expired", model=JobStatus, due_field="expires_at", handler=_forget
    )
