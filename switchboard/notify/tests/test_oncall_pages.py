"""On-call email pages and chat posts go through the outbox: logged as deliveries, retried,
failures reported, redelivered from the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from switchboard.accounts.tests.factories import AgentFactory
from switchboard.core.errors import ValidationFailed
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryStatus
from switchboard.notify.outbox import queue as outbox
from switchboard.notify.outbox import signing
from switchboard.oncall import actions
from switchboard.oncall.models import (
    ContactMethod,
    EscalationLevel,
    EscalationPolicy,
    LogKind,
    Notification,
    NotificationChannel,
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


def test_chat_alert_is_an_outbox_delivery_retried_when_the_receiver_fails_once(
    smtp_server, service, http_receiver
):
    service.chat_alert, service.chat_webhook_url = True, http_receiver.url
    service.save()
    http_receiver.respond(500)
    with time_machine.travel(T0, tick=False) as traveller:
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        # the channel alert and the email page: 2 on-call jobs, then 2 first attempts
        assert run_pending_jobs() == 4
        alert = Notification.objects.get(
            incident=incident, channel=NotificationChannel.CHAT_CHANNEL
        )
        assert alert.status == NotificationStatus.SENT  # handed to the outbox
        delivery = Delivery.objects.get(source=f"oncall:notification:{alert.pk}")
        assert (delivery.channel, delivery.recipient) == ("chat", http_receiver.url)
        assert delivery.endpoint is None and delivery.raw_url
        assert delivery.idempotency_key == f"oncall:{alert.idempotency_key}"
        assert delivery.status == DeliveryStatus.PENDING and "HTTP 500" in delivery.last_error
        assert len(http_receiver.requests) == 1

        traveller.shift(timedelta(minutes=1))
        assert run_pending_jobs() == 1  # the outbox's retry
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(delivery.attempt_log.values_list("number", "ok", "response_status")) == [
        (1, False, 500),
        (2, True, 200),
    ]
    first, second = http_receiver.requests
    assert (first.status, second.status) == (500, 200)
    assert second.json()["incident"]["dedup_key"] == "d"
    assert second.json()["text"].startswith(f"Incident #{incident.pk} on Database")
    assert second.headers["idempotency-key"] == delivery.idempotency_key
    assert second.headers["x-switchboard-delivery"] == str(delivery.pk)
    assert second.headers["x-switchboard-event"] == "oncall.channel_alert"
    assert signing.SIGNATURE_HEADER not in second.headers  # raw URL: unsigned
    assert http_receiver.accepted_keys() == {delivery.idempotency_key: 1}
    assert (
        incident.log.get(kind=LogKind.NOTIFIED, data__notification=alert.pk).data["delivery"]
        == delivery.pk
    )
    assert not incident.log.filter(kind=LogKind.NOTIFY_FAILED).exists()


def test_dead_chat_page_fails_the_notification_and_admin_redelivery_sends_it(
    service, http_receiver, admin_client
):
    person = service.escalation_policy.levels.get().users.get()
    ContactMethod.objects.create(user=person, channel="chat", address=http_receiver.url)
    http_receiver.respond(404)
    with time_machine.travel(T0, tick=False):
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        assert run_pending_jobs() == 2
    notification = Notification.objects.get(incident=incident)
    assert notification.channel == NotificationChannel.CHAT
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.source == f"oncall:notification:{notification.pk}"
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED and "404" in notification.last_error
    assert incident.log.get(kind=LogKind.NOTIFY_FAILED).data == {
        "notification": notification.pk,
        "delivery": delivery.pk,
    }

    changelist = reverse("admin:notify_delivery_changelist")
    page = admin_client.get(changelist, {"channel__exact": "chat"}).content.decode()
    assert f">{delivery.pk}<" in page
    admin_client.post(changelist, {"action": "redeliver", "_selected_action": [delivery.pk]})
    assert run_pending_jobs() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [r.status for r in http_receiver.requests] == [404, 200]
    assert http_receiver.requests[-1].json()["links"]["acknowledge"]
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT


def test_acknowledging_cancels_a_queued_chat_page_but_not_the_channel_alert(service, http_receiver):
    from switchboard.oncall.delivery import deliver

    service.chat_alert, service.chat_webhook_url = True, http_receiver.url
    service.save()
    person = service.escalation_policy.levels.get().users.get()
    ContactMethod.objects.create(user=person, channel="chat", address=http_receiver.url)
    with time_machine.travel(T0, tick=False):
        incident, _ = actions.trigger_incident(service=service, summary="db down", dedup_key="d")
        for notification in Notification.objects.filter(incident=incident):
            assert deliver(notification_id=notification.pk) == "sent"
        actions.acknowledge_incident(incident=incident)
        run_pending_jobs()
    statuses = dict(Delivery.objects.values_list("event", "status"))
    assert statuses == {
        "oncall.page": DeliveryStatus.CANCELLED,
        "oncall.channel_alert": DeliveryStatus.DELIVERED,
    }
    assert [r.headers["x-switchboard-event"] for r in http_receiver.requests] == [
        "oncall.channel_alert"
    ]


@pytest.mark.parametrize("url", ["ftp://chat.test/hook", "javascript:alert(1)", "chat.test/hook"])
def test_queue_url_refuses_a_url_that_is_not_http(url):
    with pytest.raises(ValidationFailed, match=r"must start with http:// or https://") as caught:
        outbox.queue_url(url=url, event="oncall.page", payload={"text": "hi"}, idempotency_key="k")
    assert caught.value.field == "url"
    assert not Delivery.objects.exists()
