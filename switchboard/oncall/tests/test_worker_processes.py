"""Two real `manage.py worker` processes on PostgreSQL escalate 100 incidents together: every
notification reaches a real chat receiver exactly once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django_tasks_db.models import DBTaskResult

from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.oncall import actions
from switchboard.oncall.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    Incident,
    Notification,
    NotificationStatus,
    Service,
)
from switchboard.oncall.tests.receiver import Receiver

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]

FAST = {
    "SWITCHBOARD_WORKER_HEARTBEAT": "0.5",
    "SWITCHBOARD_WORKER_DEAD_AFTER": "5",
    "SWITCHBOARD_SWEEP_INTERVAL": "0.2",
}


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_two_workers_send_each_notification_of_100_incidents_exactly_once(spawn, person):
    """Three levels with no delay, looped twice: 9 pages + 1 channel alert per incident."""
    with Receiver() as receiver:
        people = [person(h) for h in ("first", "second", "third")]
        for p in people:
            ContactMethod.objects.create(user=p, channel="chat", address=receiver.url)
        policy = EscalationPolicy.objects.create(name="Fast", num_loops=2)
        for position, p in enumerate(people):
            level = EscalationLevel.objects.create(
                policy=policy, position=position, delay_minutes=0
            )
            level.users.set([p])
        service = Service.objects.create(
            name="Fast", escalation_policy=policy, chat_webhook_url=receiver.url
        )
        for _ in range(2):
            spawn("worker", "--sweep-interval", "0.2", env=FAST)
        for i in range(100):
            actions.trigger_incident(service=service, summary=f"incident {i}", dedup_key=f"k{i}")

        wait_for(
            lambda: not Incident.objects.filter(exhausted_at__isnull=True).exists(),
            180,
            "every incident to exhaust its policy",
        )
        wait_for(
            lambda: not Notification.objects.exclude(status=NotificationStatus.SENT).exists(),
            180,
            "every notification to be handed to the outbox",
        )
        wait_for(
            lambda: Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 1000,
            180,
            "every outbox delivery to be delivered",
        )
        time.sleep(1)  # anything sent twice would arrive now

    assert Notification.objects.count() == 1000
    assert Delivery.objects.count() == 1000  # one outbox delivery per notification
    counts = Counter(receiver.keys)
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert len(receiver.posts) == 1000
    per_incident = Counter(p["incident"]["id"] for p in receiver.posts)
    assert set(per_incident.values()) == {10}
    assert set(Incident.objects.values_list("escalation_step", flat=True)) == {10}
    workers = Counter(w[-1] for w in DBTaskResult.objects.values_list("worker_ids", flat=True))
    assert len(workers) == 2, "both workers should have delivered"
