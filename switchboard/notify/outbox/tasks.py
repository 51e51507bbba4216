"""The delivery job and the sweep that takes back deliveries nobody finished.

Every attempt is a `send_delivery(id, attempt)` job, queued in the transaction that wrote the
delivery (or recorded the previous failure, with `run_after` = the backoff). The sweep over
`Delivery.next_attempt_at` (pending rows only, index `notify_delivery_due`) is the safety net: a
row still pending a lease after its attempt was due lost its job or its worker, and gets the next
attempt queued. A job whose attempt was already taken does nothing, so duplicates are harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from switchboard.core.jobs import enqueue, job
from switchboard.core.sweeps import register_sweep
from switchboard.notify.outbox import delivery as sending
from switchboard.notify.outbox.models import Delivery, DeliveryAttempt, DeliveryStatus
from switchboard.notify.outbox.queue import lease_seconds


@job(queue="notify", max_attempts=5, backoff_base=2.0, backoff_max=60.0)
def send_delivery(delivery_id: int, attempt: int) -> str:
    """Make attempt number `attempt` of a delivery (idempotent: a taken attempt is skipped)."""
    return sending.attempt_delivery(delivery_id, attempt)


def enqueue_attempt(delivery: Delivery, *, run_after: datetime | None = None) -> str:
    """Queue the next attempt of `delivery` in the current transaction."""
    return enqueue(send_delivery, delivery.pk, delivery.attempts + 1, run_after=run_after)


def take_back(delivery: Delivery, now: datetime) -> None:
    """Sweep handler: the row's attempt never reported back; log that and queue the next one."""
    if delivery.status != DeliveryStatus.PENDING:
        delivery.next_attempt_at = None
        delivery.save(update_fields=["next_attempt_at"])
        return
    if delivery.attempts:
        # The claimed attempt's worker died (or is hung) mid-send: the receiver may or may not
        # have it; the next attempt carries the same idempotency key.
        DeliveryAttempt.objects.get_or_create(
            delivery=delivery,
            number=delivery.attempts,
            defaults={
                "at": now,
                "ok": False,
                "error": "no outcome recorded (worker stopped during the attempt); retrying",
            },
        )
    delivery.next_attempt_at = now + timedelta(seconds=lease_seconds())
    delivery.save(update_fields=["next_attempt_at"])
    enqueue_attempt(delivery)


def connect() -> None:
    register_sweep(
        "notify.deliveries",
        model=Delivery,
        due_field="next_attempt_at",
        handler=take_back,
        extra_filter=Q(status=DeliveryStatus.PENDING),
    )
