"""Webhook and chat deliveries over a real HTTP receiver: signed, retried with backoff, logged,
dead with a reason, redelivered, taken back from a worker that vanished."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from switchboard.core.errors import PermissionDenied, ValidationFailed
from switchboard.core.sweeps import registered_sweeps, run_sweep
from switchboard.core.worker import run_pending_jobs
from switchboard.notify.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint
from switchboard.notify.outbox import delivery as sending
from switchboard.notify.outbox import signing
from switchboard.notify.outbox.endpoints import create_endpoint, redeliver, update_endpoint
from switchboard.notify.outbox.queue import queue_endpoint
from switchboard.notify.tests.conftest import Answer, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hook(http_receiver, admin_user):
    return create_endpoint(actor=admin_user, name="Ops hook", kind="webhook", url=http_receiver.url)


def queue(endpoint, key="k1", event="ticket.created", payload=None):
    return queue_endpoint(
        endpoint=endpoint,
        event=event,
        payload=payload or {"ticket": {"id": 7}},
        idempotency_key=key,
    )


def ready_job_delay(now) -> float:
    """Seconds until the queued retry job may run."""
    job = DBTaskResult.objects.get(status="READY")
    return (job.run_after - now).total_seconds()


def test_webhook_post_is_signed_wrapped_and_labelled(http_receiver, hook):
    """The POST body is {event, idempotency_key, created_at, data}; the signature verifies with
    the secret shown to the admin; every Switchboard header is set."""
    delivery = queue(hook, payload={"ticket": {"id": 7, "subject": "Fire"}})
    run_pending_jobs()
    [request] = http_receiver.requests
    body = request.json()
    assert body["event"] == "ticket.created" and body["idempotency_key"] == "k1"
    assert body["data"] == {"ticket": {"id": 7, "subject": "Fire"}}
    assert body["created_at"].startswith(str(timezone.now().year))
    headers = request.headers
    # verified with the Standard Webhooks library's own verifier, as a receiver would
    assert Webhook(signing.endpoint_secret(hook)).verify(request.body, dict(headers)) == body
    assert headers["webhook-id"] == "k1"
    assert headers["content-type"] == "application/json"
    assert headers["x-switchboard-event"] == "ticket.created"
    assert headers["idempotency-key"] == "k1"
    assert headers["x-switchboard-delivery"] == str(delivery.pk)
    assert headers["user-agent"].startswith("Switchboard")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert DeliveryAttempt.objects.get(delivery=delivery).response_status == 200


def test_chat_payload_is_sent_as_is(http_receiver, admin_user):
    """A chat channel gets the Slack incoming-webhook body unchanged (text + blocks)."""
    chat = create_endpoint(actor=admin_user, name="#support", kind="chat", url=http_receiver.url)
    slack = {
        "text": "Ticket #7 breached",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*#7* breached"}}],
    }
    queue(chat, event="sla.breach", payload=slack)
    run_pending_jobs()
    [request] = http_receiver.requests
    assert request.json() == slack
    Webhook(signing.endpoint_secret(chat)).verify(request.body, dict(request.headers))


def test_chat_payload_without_text_is_refused(admin_user, http_receiver):
    chat = create_endpoint(actor=admin_user, name="#support", kind="chat", url=http_receiver.url)
    with pytest.raises(ValidationFailed, match="text"):
        queue(chat, payload={"blocks": []})
    with pytest.raises(ValidationFailed, match="blocks"):
        queue(chat, payload={"text": "hi", "blocks": "nope"})
    assert not Delivery.objects.exists()


def test_event_filter_and_inactive_endpoint_queue_nothing(admin_user, http_receiver):
    """An endpoint filtered to sla.breach ignores ticket.created; an inactive one ignores all."""
    filtered = create_endpoint(
        actor=admin_user, name="SLA", kind="webhook", url=http_receiver.url, events=["sla.breach"]
    )
    off = create_endpoint(
        actor=admin_user, name="Off", kind="webhook", url=http_receiver.url, is_active=False
    )
    assert queue(filtered, key="a", event="ticket.created") is None
    assert queue(off, key="b", event="sla.breach") is None
    assert queue(filtered, key="c", event="sla.breach") is not None
    assert list(Delivery.objects.values_list("idempotency_key", flat=True)) == ["c"]


def test_payload_dates_are_sent_as_iso_strings(http_receiver, hook):
    """What is stored is JSON, so it is exactly what is sent (and signed)."""
    moment = timezone.now()
    queue(hook, payload={"at": moment})
    run_pending_jobs()
    assert http_receiver.requests[0].json()["data"]["at"] == DjangoJSONEncoder().default(moment)


def test_receiver_failing_5_times_then_recovering_gets_one_accepted_delivery(http_receiver, hook):
    """Five 500s, then 200: six attempts logged with growing backoff, exactly one accepted."""
    http_receiver.respond(500, 500, 500, 500, 500)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook, key="fail-5")
        delays = []
        for _ in range(6):
            assert run_pending_jobs() == 1
            delivery.refresh_from_db()
            if delivery.status == DeliveryStatus.PENDING:
                delays.append(ready_job_delay(timezone.now()))
            clock.shift(timedelta(hours=2))
        assert run_pending_jobs() == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 6
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in log] == [1, 2, 3, 4, 5, 6]
    assert [a.ok for a in log] == [False] * 5 + [True]
    assert [a.response_status for a in log] == [500] * 5 + [200]
    assert "HTTP 500" in log[0].error
    for n, delay in enumerate(delays, start=1):  # 10 s, 20 s, 40 s, ... each ±20 %
        assert 0.8 * 10 * 2 ** (n - 1) <= delay <= 1.2 * 10 * 2 ** (n - 1)
    assert len(http_receiver.requests) == 6
    assert {r.headers["idempotency-key"] for r in http_receiver.requests} == {"fail-5"}
    assert http_receiver.accepted_keys() == {"fail-5": 1}


def test_timeout_after_the_receiver_accepted_is_retried_and_dropped_by_key(
    http_receiver, hook, monkeypatch
):
    """The receiver took it but answered too late: we retry with the same key; it is accepted
    once and the repeat is recognised as a duplicate."""
    monkeypatch.setattr(sending, "HTTP_TIMEOUT", 0.5)
    http_receiver.respond(Answer(200, delay=1.5))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook, key="slow")
        run_pending_jobs()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        assert "timed out" in delivery.last_error
        clock.shift(timedelta(minutes=5))
        run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert len(http_receiver.requests) == 2
    assert http_receiver.accepted_keys() == {"slow": 1}
    assert len(http_receiver.duplicates) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_permanent_4xx_is_dead_at_once_with_the_reason(http_receiver, hook, status):
    http_receiver.respond(Answer(status, body=b"no such hook"))
    delivery = queue(hook)
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert f"HTTP {status}" in delivery.dead_reason and "no such hook" in delivery.dead_reason
    assert delivery.attempts == 1 and delivery.next_attempt_at is None
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503])
def test_transient_answers_are_retried(http_receiver, hook, status):
    http_receiver.respond(status)
    delivery = queue(hook)
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert f"HTTP {status}" in delivery.last_error
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_redirect_is_not_followed(http_receiver, hook):
    http_receiver.respond(Answer(301, headers={"Location": "http://elsewhere.test/"}))
    delivery = queue(hook)
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert "redirects are not followed" in delivery.dead_reason
    assert len(http_receiver.requests) == 1


def test_short_retry_after_is_honoured_and_a_long_one_ignored(http_receiver, hook):
    """429 with Retry-After: 120 → next try in 120 s; 503 with a day → normal backoff."""
    http_receiver.respond(
        Answer(429, headers={"Retry-After": "120"}),
        Answer(503, headers={"Retry-After": "86400"}),
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        queue(hook)
        run_pending_jobs()
        assert ready_job_delay(timezone.now()) == pytest.approx(120, abs=0.01)
        clock.shift(timedelta(seconds=121))
        run_pending_jobs()
        assert 16 <= ready_job_delay(timezone.now()) <= 24  # backoff for attempt 2


def test_connection_refused_is_retried(admin_user):
    endpoint = create_endpoint(
        actor=admin_user, name="Down", kind="webhook", url=f"http://127.0.0.1:{free_port()}/hook"
    )
    delivery = queue(endpoint)
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "connection failed" in delivery.last_error


def test_failing_for_the_whole_retry_window_ends_dead_with_the_reason(http_receiver, hook):
    """A receiver down for 24 h: retries (at most ~1 h apart) until the window ends, then dead."""
    http_receiver.set_default(503)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        delivery = queue(hook)
        for _ in range(40):
            run_pending_jobs()
            delivery.refresh_from_db()
            if delivery.status != DeliveryStatus.PENDING:
                break
            clock.shift(timedelta(minutes=75))
    assert delivery.status == DeliveryStatus.DEAD
    assert "gave up after" in delivery.dead_reason and "HTTP 503" in delivery.dead_reason
    log = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert len(log) == delivery.attempts == len(http_receiver.requests) >= 20
    assert log[-1].at >= start + timedelta(hours=24)
    assert log[-2].at < start + timedelta(hours=24)
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_retry_window_is_configurable(http_receiver, hook, settings):
    settings.SWITCHBOARD_DELIVERY_RETRY_HOURS = 1
    http_receiver.set_default(500)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook)
        for _ in range(20):
            run_pending_jobs()
            clock.shift(timedelta(minutes=30))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts <= 4


def test_redeliver_sends_a_dead_delivery_again_with_the_same_key(http_receiver, hook, admin_user):
    """Dead after a 410; the admin fixes the receiver and redelivers: attempt 2, same key."""
    http_receiver.respond(410)
    delivery = queue(hook, key="again")
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD

    redeliver(delivery, actor=admin_user)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.dead_reason == ""
    run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert [r.headers["idempotency-key"] for r in http_receiver.requests] == ["again", "again"]
    assert list(delivery.attempt_log.values_list("number", "ok")) == [(1, False), (2, True)]

    # A delivered one can be sent again too (the receiver drops it by key).
    redeliver(delivery, actor=admin_user)
    run_pending_jobs()
    assert http_receiver.accepted_keys() == {"again": 1}
    assert len(http_receiver.duplicates) == 1


def test_redeliver_refuses_pending_and_non_admins(hook, agent):
    delivery = queue(hook)
    with pytest.raises(PermissionDenied):
        redeliver(delivery, actor=agent)
    from switchboard.accounts.tests.factories import AdminFactory

    with pytest.raises(ValidationFailed, match="pending"):
        redeliver(delivery, actor=AdminFactory())


def test_vanished_worker_attempt_is_taken_back_by_the_sweep(http_receiver, hook, settings):
    """A worker claimed attempt 1 and died: after the lease the sweep logs it and queues
    attempt 2, which is sent with the same key; the stale attempt-1 job does nothing."""
    settings.SWITCHBOARD_DELIVERY_LEASE = 30
    sweep = next(s for s in registered_sweeps() if s.name == "notify.deliveries")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook, key="orphan")
        assert sending.claim(delivery.pk, 1, timezone.now()) is not None  # ...and then died
        assert run_pending_jobs() == 1  # the attempt-1 job: already taken, skipped
        assert http_receiver.requests == []
        assert run_sweep(sweep) == 0  # lease not over yet
        clock.shift(timedelta(seconds=31))
        assert run_sweep(sweep) == 1
        run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    log = list(delivery.attempt_log.values_list("number", "ok", "error"))
    assert log[0][:2] == (1, False) and "worker stopped" in log[0][2]
    assert log[1][:2] == (2, True)
    assert len(http_receiver.requests) == 1


def test_lost_job_is_recovered_by_the_sweep(http_receiver, hook, settings):
    """If the job row itself is gone, the sweep still sends the delivery after the lease."""
    sweep = next(s for s in registered_sweeps() if s.name == "notify.deliveries")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook)
        DBTaskResult.objects.all().delete()
        clock.shift(timedelta(seconds=121))
        assert run_sweep(sweep) == 1
        run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1


def test_deleted_or_disabled_endpoint_kills_the_delivery(http_receiver, hook, admin_user):
    first = queue(hook, key="a")
    second = queue(hook, key="b")
    update_endpoint(
        actor=admin_user,
        endpoint=hook,
        name=hook.name,
        kind=hook.kind,
        url=hook.url,
        events=[],
        is_active=False,
    )
    run_pending_jobs()
    first.refresh_from_db()
    assert first.status == DeliveryStatus.DEAD and "inactive" in first.dead_reason
    third = queue_endpoint(
        endpoint=Endpoint.objects.create(
            name="tmp", kind="webhook", url=http_receiver.url, secret=signing.new_secret()
        ),
        event="e",
        payload={},
        idempotency_key="c",
    )
    Endpoint.objects.filter(name="tmp").delete()
    run_pending_jobs()
    third.refresh_from_db()
    assert third.status == DeliveryStatus.DEAD and "deleted" in third.dead_reason
    second.refresh_from_db()
    assert second.status == DeliveryStatus.DEAD
    assert http_receiver.requests == []


def test_fixed_url_is_used_for_the_next_attempt(http_receiver, hook, admin_user):
    """An admin corrects the URL of a failing endpoint: the retry goes to the new one."""
    http_receiver.respond(500)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        delivery = queue(hook)
        run_pending_jobs()
        new_url = http_receiver.url_for("/fixed")
        update_endpoint(
            actor=admin_user,
            endpoint=hook,
            name=hook.name,
            kind=hook.kind,
            url=new_url,
            events=[],
            is_active=True,
        )
        clock.shift(timedelta(minutes=2))
        run_pending_jobs()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.recipient == new_url
    assert [r.path for r in http_receiver.requests] == ["/hook", "/fixed"]


def test_stored_body_is_what_is_signed(hook):
    """The signature covers the compact JSON of the stored payload, byte for byte."""
    delivery = queue(hook, payload={"é": "ü", "n": 1})
    body = sending.body_bytes(delivery)
    assert json.loads(body) == delivery.payload
    headers = sending.webhook_headers(delivery, hook, body)
    assert Webhook(signing.endpoint_secret(hook)).verify(body, headers) == delivery.payload
