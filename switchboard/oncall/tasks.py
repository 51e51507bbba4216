"""Background jobs: deliver one notification (email or chat webhook), idempotently."""

from __future__ import annotations

from switchboard.core.jobs import job
from switchboard.oncall import delivery


@job(queue="oncall", max_attempts=delivery.MAX_ATTEMPTS, backoff_base=5.0, backoff_max=300.0)
def deliver_notification(notification_id: int) -> str:
    return delivery.deliver(notification_id=notification_id)
