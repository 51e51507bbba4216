"""Scheduled CRM work: the incremental sync every minute (when configured) and daily checks.

Two sweeps over the one ``SyncState`` row's due columns (``next_run_at``,
``next_integrity_at``) queue a job and move the due time; the sweep's row lock means one worker
queues it, and the sync's lease means one worker runs it even if two jobs exist.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F

from switchboard.core.jobs import enqueue, job
from switchboard.core.sweeps import register_sweep
from switchboard.crm.connector import CrmError, NotConfigured, RateLimited, is_configured
from switchboard.crm.models import SyncState

logger = logging.getLogger("switchboard.crm")

INTEGRITY_EVERY = timedelta(days=1)
MAX_BACKOFF = 3600.0


def sync_every() -> float:
    return float(getattr(settings, "SWITCHBOARD_CRM_SYNC_EVERY", 60))


@job(queue="default", max_attempts=1)
def incremental_sync() -> str:
    """One scheduled sync; failures are recorded on the state and retried by the schedule."""
    from switchboard.crm.runner import STATE, SyncBusy, run_sync

    if not is_configured():
        return "not configured"
    try:
        result = run_sync(trigger="schedule")
    except SyncBusy:
        return "busy"
    except (RateLimited, CrmError, NotConfigured) as exc:
        state = SyncState.objects.filter(name=STATE)
        state.update(failures=F("failures") + 1, last_error=str(exc)[:4000])
        failures = state.values_list("failures", flat=True).first() or 1
        # Back off (1, 2, 4 … minutes, at most an hour); the watermark keeps what was done.
        delay = min(MAX_BACKOFF, sync_every() * 2 ** (failures - 1))
        from switchboard.crm.runner import schedule_next

        schedule_next(delay=delay)
        logger.warning("CRM sync stopped (%s); next try in %.0f s", exc, delay)
        return f"stopped: {exc}"
    return f"ok: {dict(result.plan.counts)}"


@job(queue="default", max_attempts=3)
def integrity_checks(trigger: str = "daily") -> str:
    from switchboard.crm.checks import run_checks

    run = run_checks(trigger=trigger)
    return f"{sum(run.counts.values())} findings"


def _due_sync(state: SyncState, now: datetime) -> None:
    if is_configured():
        enqueue(incremental_sync)
    # Not configured: look again after the same period (the settings may change on restart).
    if state.next_run_at is None or state.next_run_at <= now:
        state.next_run_at = now + timedelta(seconds=sync_every())
    state.save(update_fields=["next_run_at"])


def _due_integrity(state: SyncState, now: datetime) -> None:
    enqueue(integrity_checks, "daily")
    state.next_integrity_at = now + INTEGRITY_EVERY
    state.save(update_fields=["next_integrity_at"])


def connect() -> None:
    register_sweep("crm.sync", model=SyncState, due_field="next_run_at", handler=_due_sync)
    register_sweep(
        "crm.integrity", model=SyncState, due_field="next_integrity_at", handler=_due_integrity
    )
