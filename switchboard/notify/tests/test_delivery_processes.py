"""Deliveries with real `manage.py worker` processes: none lost on SIGKILL, none sent twice by
two workers. Run on SQLite and on PostgreSQL (where claims use FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from switchboard.notify.models import Delivery, DeliveryAttempt, DeliveryStatus
from switchboard.notify.outbox import delivery as sending
from switchboard.notify.outbox.endpoints import create_endpoint
from switchboard.notify.outbox.queue import queue_endpoint

pytestmark = [pytest.mark.django_db(transaction=True)]

FAST = {
    "SWITCHBOARD_WORKER_HEARTBEAT": "0.5",
    "SWITCHBOARD_WORKER_DEAD_AFTER": "3",
    "SWITCHBOARD_SWEEP_INTERVAL": "0.5",
    "SWITCHBOARD_DELIVERY_LEASE": "4",
}


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def queue_many(endpoint, count: int, prefix: str) -> list[str]:
    keys = [f"{prefix}-{i}" for i in range(count)]
    with transaction.atomic():
        for key in keys:
            queue_endpoint(
                endpoint=endpoint, event="ticket.updated", payload={"n": key}, idempotency_key=key
            )
    return keys


def all_delivered() -> bool:
    return not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


@pytest.mark.slow
def test_sigkill_during_1000_deliveries_loses_none(spawn, http_receiver, admin_user):
    """A worker killed with SIGKILL mid-batch: after a restart every delivery is delivered and
    the receiver has every key (a repeat of the one in flight is allowed, a loss is not)."""
    hook = create_endpoint(actor=admin_user, name="bulk", kind="webhook", url=http_receiver.url)
    keys = queue_many(hook, 1000, "kill")

    victim = spawn("worker", env=FAST)
    wait_for(lambda: len(http_receiver.requests) >= 150, 120, "the first worker to send 150")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    sent_before_kill = len(http_receiver.requests)
    assert sent_before_kill < 1000, "the kill should land mid-batch"
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).exists()

    spawn("worker", env=FAST)
    wait_for(all_delivered, 240, "every delivery to be delivered after the restart")

    received = Counter(r.headers["idempotency-key"] for r in http_receiver.requests)
    assert set(received) == set(keys)
    assert len(received) == 1000
    assert sum(received.values()) - 1000 <= 2  # at most the in-flight one(s) again
    assert set(http_receiver.accepted_keys().values()) == {1}
    assert DeliveryAttempt.objects.filter(ok=True).count() == 1000


@pytest.mark.slow
def test_two_workers_never_send_one_delivery_twice(spawn, http_receiver, admin_user):
    """Two workers draining 500 deliveries together: each key reaches the receiver once."""
    hook = create_endpoint(actor=admin_user, name="pair", kind="webhook", url=http_receiver.url)
    keys = queue_many(hook, 500, "pair")
    for _ in range(2):
        spawn("worker", env=FAST)
    wait_for(all_delivered, 240, "every delivery to be delivered")
    received = Counter(r.headers["idempotency-key"] for r in http_receiver.requests)
    assert set(received) == set(keys)
    assert set(received.values()) == {1}
    assert http_receiver.duplicates == []
    assert DeliveryAttempt.objects.count() == 500


@pytest.mark.postgres
def test_a_locked_delivery_is_skipped_not_waited_for(http_receiver, admin_user):
    """While one worker holds a delivery's row lock, another worker's claim skips it at once."""
    hook = create_endpoint(actor=admin_user, name="lock", kind="webhook", url=http_receiver.url)
    delivery = queue_endpoint(endpoint=hook, event="e", payload={}, idempotency_key="locked")
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=delivery.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    assert sending.claim(delivery.pk, 1, timezone.now()) is None
    assert time.monotonic() - started < 1
    release.set()
    holder.join()
    assert sending.claim(delivery.pk, 1, timezone.now()) is not None
    assert sending.claim(delivery.pk, 1, timezone.now()) is None  # attempt 1 is taken
