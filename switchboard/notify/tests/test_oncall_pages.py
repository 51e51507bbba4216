"""On-call email pages go through the outbox: logged as deliveries, retried, failures reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.oncall import actions
from switchboard.oncall.models import (
    EscalationLevel,
    EscalationPolicy,
    LogKind,
    Notification,
    NotificationStatus,
    Service,
)

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.fixture
def service(db):
    person = AgentFactory(email="pager@switchboard.test", name="Pager")
    policy = EscalationPolicy.objects.create(name="Pages")
    level = EscalationLevel.objects.create(policy=policy, position=0, delay_minutes=10)
    level.users.set([person])
    return Service.objects.create(name="Database", escalation_policy=policy, chat_alert=False)


def test_email_page_is_an_outbox_delivery_retried_when_smtp_refuses_once(smtp_server, service):
    smtp_server.refuse("pager@switchboard.test", "451 4.3.0 Try again later")
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        assert run_pending_jobs() == 2  # the on-call job, then the outbox's first attempt
        notification = Notification.objects.get(incident=incident)
        delivery = Delivery.objects.get()
        assert delivery.source == f"oncall:notification:{notification.pk}"
        assert delivery.idempotency_key == f"oncall:{notification.idempotency_key}"
        assert (delivery.channel, delivery.recipient) == ("email", "pager@switchboard.test")
        assert delivery.status == DeliveryStatus.PENDING and "451" in delivery.last_error
        assert notification.status == NotificationStatus.SENT  # handed to the outbox
        assert smtp_server.messages == []

        smtp_server.refusals.clear()
        traveller.shift(timedelta(minutes=1))
        assert run_pending_jobs() == 1  # the outbox's retry
    smtp_server.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(delivery.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]
    message = smtp_server.messages[0]
    assert message["To"] == "pager@switchboard.test"
    assert message["X-Switchboard-Delivery"] == str(delivery.pk)
    assert message["Subject"] == f"[Database] #{incident.pk} db down"
    assert "/oncall/incidents/link/" in message.get_content()
    notified = incident.log.get(kind=LogKind.NOTIFIED)
    assert notified.data["delivery"] == delivery.pk
    assert not incident.log.filter(kind=LogKind.NOTIFY_FAILED).exists()


def test_dead_email_page_marks_the_notification_failed(smtp_server, service):
    smtp_server.refuse("pager@switchboard.test", "550 5.1.1 No such user")
    with time_machine.travel(T0, tick=False):
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        assert run_pending_jobs() == 2
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    notification = Notification.objects.get(incident=incident)
    assert notification.status == NotificationStatus.FAILED
    assert "550" in notification.last_error
    failed = incident.log.get(kind=LogKind.NOTIFY_FAILED)
    assert failed.data == {"notification": notification.pk, "delivery": delivery.pk}


def test_page_for_an_acknowledged_incident_is_cancelled_and_never_queued(smtp_server, service):
    with time_machine.travel(T0, tick=False):
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        actions.acknowledge_incident(incident=incident)
        assert run_pending_jobs() == 1
    assert Notification.objects.get().status == NotificationStatus.CANCELLED
    assert not Delivery.objects.exists()
    assert smtp_server.messages == []


def test_acknowledging_cancels_a_page_the_outbox_has_not_started(smtp_server, service):
    """Handed to the outbox but not yet attempted: acknowledging cancels it; nothing is sent."""
    from switchboard.oncall.delivery import deliver

    with time_machine.travel(T0, tick=False):
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        notification = Notification.objects.get(incident=incident)
        assert deliver(notification_id=notification.pk) == "sent"  # handed off, not yet sent
        delivery = Delivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
        actions.acknowledge_incident(incident=incident)
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.CANCELLED
        run_pending_jobs()
    assert smtp_server.messages == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.CANCELLED and delivery.attempts == 0
    assert incident.log.get(kind=LogKind.ACKNOWLEDGE).data["cancelled"] == 1
